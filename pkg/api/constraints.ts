/**
 * Marathon placement constraints, syntax only: `[field, OPERATOR, value?]`.
 * The scheduler (pkg/scheduler) gives them meaning; it calls
 * parseConstraint on specs that already passed validation.
 *
 *   UNIQUE            no value          one task per distinct field value
 *   CLUSTER value     required          only where field == value
 *   GROUP_BY [n]      optional n > 0    spread evenly over the field's values
 *   LIKE regex        required          field matches regex (whole value)
 *   UNLIKE regex      required          field does not match regex (whole value)
 *   MAX_PER n         required n > 0    at most n tasks per field value
 *   IS value          required          field == value
 *
 * field is `hostname` or a node attribute name.
 */
import type { Constraint } from './types.js';
import type { ErrorDetail } from './errors.js';
import { ApiError } from './errors.js';
import { didYouMean } from './suggest.js';

export const OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'] as const;
export type ConstraintOperator = (typeof OPERATORS)[number];

export interface ParsedConstraint {
  field: string;
  op: ConstraintOperator;
  value?: string;
  /** LIKE/UNLIKE: the value compiled and anchored (`^(?:value)$`). */
  regex?: RegExp;
  /** GROUP_BY (when given) and MAX_PER. */
  n?: number;
}

export const HOSTNAME_FIELD = 'hostname';
const FIELD_RE = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
/** Longer patterns are refused: they run against every node's attributes. */
export const MAX_REGEX_LENGTH = 512;

export const CONSTRAINT_SHAPE = 'must be [field, OPERATOR] or [field, OPERATOR, value]';

type Check = { ok: true; parsed: ParsedConstraint } | { ok: false; rule: string; message: string };

const fail = (rule: string, message: string): Check => ({ ok: false, rule, message });
const POSITIVE_INT = /^[1-9][0-9]{0,8}$/;

/** Check one constraint without throwing. Numbers as value are accepted (YAML `[rack, MAX_PER, 2]`). */
export function checkConstraint(c: unknown): Check {
  if (!Array.isArray(c) || c.length < 2 || c.length > 3) return fail('constraint', CONSTRAINT_SHAPE);
  const [field, op, rawValue] = c as unknown[];
  if (typeof field !== 'string' || typeof op !== 'string') return fail('constraint', CONSTRAINT_SHAPE);
  if (rawValue !== undefined && typeof rawValue !== 'string' && typeof rawValue !== 'number')
    return fail('constraint', `${CONSTRAINT_SHAPE}; the value must be a string`);
  const value = rawValue === undefined ? undefined : String(rawValue);
  if (!FIELD_RE.test(field) || field.length > 253)
    return fail('constraintField', `field must be "${HOSTNAME_FIELD}" or an attribute name, got "${field}"`);
  if (!(OPERATORS as readonly string[]).includes(op))
    return fail(
      'constraintOperator',
      `unknown operator "${op}"${didYouMean(op, OPERATORS)} (one of ${OPERATORS.join(', ')})`,
    );
  const operator = op as ConstraintOperator;
  const parsed: ParsedConstraint = { field, op: operator };
  switch (operator) {
    case 'UNIQUE':
      if (value !== undefined) return fail(op, `UNIQUE takes no value, got "${value}"`);
      break;
    case 'CLUSTER':
    case 'IS':
      if (value === undefined || value === '') return fail(op, `${op} takes a value, got none`);
      parsed.value = value;
      break;
    case 'GROUP_BY':
      if (value !== undefined) {
        if (!POSITIVE_INT.test(value)) return fail(op, `GROUP_BY takes an optional positive integer, got "${value}"`);
        parsed.value = value;
        parsed.n = Number(value);
      }
      break;
    case 'MAX_PER':
      if (value === undefined) return fail(op, 'MAX_PER takes a positive integer, got none');
      if (!POSITIVE_INT.test(value)) return fail(op, `MAX_PER takes a positive integer, got "${value}"`);
      parsed.value = value;
      parsed.n = Number(value);
      break;
    case 'LIKE':
    case 'UNLIKE': {
      if (value === undefined || value === '') return fail(op, `${op} takes a regular expression, got none`);
      if (value.length > MAX_REGEX_LENGTH)
        return fail(op, `${op} takes a regular expression of at most ${MAX_REGEX_LENGTH} characters, got ${value.length}`);
      try {
        new RegExp(value); // compiled alone first, so the error quotes the user's pattern
        // Marathon matches the whole attribute value.
        parsed.regex = new RegExp(`^(?:${value})$`);
      } catch (e) {
        const why = (e as Error).message.replace(`Invalid regular expression: /${value}/: `, '');
        return fail(op, `${op} takes a regular expression, "${value}" does not compile: ${why}`);
      }
      parsed.value = value;
      break;
    }
  }
  return { ok: true, parsed };
}

/** Parse one constraint; throws ApiError Invalid naming path and rule. */
export function parseConstraint(c: unknown, path = 'constraint'): ParsedConstraint {
  const r = checkConstraint(c);
  if (r.ok) return r.parsed;
  const detail: ErrorDetail = { field: path, rule: r.rule, message: r.message };
  throw new ApiError('Invalid', `${path}: ${r.message}`, [detail]);
}

/** Parse a list; throws one ApiError listing every bad constraint. */
export function parseConstraints(cs: readonly unknown[] | undefined, path = 'spec.constraints'): ParsedConstraint[] {
  const out: ParsedConstraint[] = [];
  const details: ErrorDetail[] = [];
  (cs ?? []).forEach((c, i) => {
    const r = checkConstraint(c);
    if (r.ok) out.push(r.parsed);
    else details.push({ field: `${path}[${i}]`, rule: r.rule, message: r.message });
  });
  if (details.length > 0)
    throw new ApiError('Invalid', details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
  return out;
}

/** The constraint as Marathon writes it, e.g. `hostname UNIQUE`, `rack GROUP_BY 3` (for reasons). */
export function formatConstraint(c: ParsedConstraint | Constraint): string {
  if (Array.isArray(c)) return c.join(' ');
  const p = c as ParsedConstraint;
  return p.value === undefined ? `${p.field} ${p.op}` : `${p.field} ${p.op} ${p.value}`;
}

/** Normalise a constraint as stored: the value as a string (`2` -> `"2"`). */
export function normalizeConstraint(c: readonly unknown[]): Constraint {
  return c.length === 3 ? [String(c[0]), String(c[1]), String(c[2])] : [String(c[0]), String(c[1])];
}
