/**
 * Marathon constraint syntax: ["field", "OPERATOR", "value"?] -> a parsed
 * constraint. Provisional: pkg/api/constraints.ts (owned by the API) will
 * hold the one parser shared with validation; this file keeps the same
 * shape ({field, op, value?, regex?, n?}) so swapping it is one import.
 */
import type { Constraint } from '../api/types.js';

export type ConstraintOp = 'UNIQUE' | 'CLUSTER' | 'GROUP_BY' | 'LIKE' | 'UNLIKE' | 'MAX_PER' | 'IS';

export interface ParsedConstraint {
  field: string;
  op: ConstraintOp;
  /** CLUSTER, IS: the value; LIKE, UNLIKE: the regex source; GROUP_BY, MAX_PER: the number as written. */
  value?: string;
  /** LIKE, UNLIKE: anchored so it must match the whole value (Marathon uses Java's String.matches). */
  regex?: RegExp;
  /** MAX_PER: the maximum; GROUP_BY: the expected number of distinct values (0 when absent). */
  n?: number;
}

const OPS: ReadonlySet<string> = new Set(['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS']);

export class ConstraintError extends Error {
  override name = 'ConstraintError';
}

/** Parse one constraint; throws ConstraintError with the reason. */
export function parseConstraint(c: Constraint | readonly string[]): ParsedConstraint {
  if (!Array.isArray(c) || c.length < 2 || c.length > 3 || c.some((x) => typeof x !== 'string')) {
    throw new ConstraintError(`A constraint is ["field", "OPERATOR"] or ["field", "OPERATOR", "value"]. Got: ${JSON.stringify(c)}`);
  }
  const field = c[0]!;
  const op = c[1]!.toUpperCase();
  const value = c[2];
  if (field === '') throw new ConstraintError('A constraint needs a field. Got: ""');
  if (!OPS.has(op)) {
    throw new ConstraintError(`Unknown constraint operator ${JSON.stringify(c[1])}; expected one of ${[...OPS].join(', ')}`);
  }
  switch (op) {
    case 'UNIQUE':
      return { field, op };
    case 'CLUSTER':
      return value === undefined || value === '' ? { field, op } : { field, op, value };
    case 'IS':
      if (value === undefined) throw new ConstraintError(`${field} IS needs a value`);
      return { field, op, value };
    case 'LIKE':
    case 'UNLIKE': {
      if (value === undefined || value === '') throw new ConstraintError(`${field} ${op} needs a regular expression`);
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${value})$`);
      } catch (e) {
        throw new ConstraintError(`${field} ${op}: invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}`);
      }
      return { field, op, value, regex };
    }
    case 'GROUP_BY':
    case 'MAX_PER': {
      if (value === undefined || value === '') {
        if (op === 'MAX_PER') throw new ConstraintError(`${field} MAX_PER needs a number`);
        return { field, op, n: 0 };
      }
      if (!/^\d+$/.test(value)) throw new ConstraintError(`${field} ${op} needs a whole number. Got: ${JSON.stringify(value)}`);
      const n = Number(value);
      if (op === 'MAX_PER' && n < 1) throw new ConstraintError(`${field} MAX_PER must be at least 1. Got: ${value}`);
      return { field, op, value, n };
    }
  }
  throw new ConstraintError(`Unknown constraint operator ${op}`);
}

/** "constraint rack MAX_PER 2": the reason a node failed it, as users read it. */
export function constraintLabel(p: ParsedConstraint): string {
  return p.value === undefined ? `constraint ${p.field} ${p.op}` : `constraint ${p.field} ${p.op} ${p.value}`;
}
