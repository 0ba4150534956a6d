/**
 * ajv errors -> ErrorDetails users can act on: JSON paths as users read
 * them (`spec.healthChecks[1].port`), plain messages, "did you mean" hints
 * for unknown fields, and rule-naming messages for names.
 */
import type { ErrorObject } from 'ajv';
import type { ErrorDetail } from './errors.js';
import { DNS1123_LABEL_RULE, dns1123LabelError, dns1123SubdomainError, portNameError, got } from './names.js';
import { formatPath, pointerSegments, valueAt, type Segment } from './paths.js';
import { didYouMean } from './suggest.js';

/**
 * Definitions re-checked in code with better messages (constraints.ts,
 * labels.ts via checks.ts): their schema errors are dropped, not doubled.
 */
const CHECKED_IN_CODE = new Set(['constraint', 'labelKey', 'labelValue']);

/** Definitions whose errors get one message naming the rule. */
const RULE_MESSAGES: Record<string, (v: string) => string | undefined> = {
  dnsLabel: dns1123LabelError,
  dnsSubdomain: dns1123SubdomainError,
  portName: portNameError,
  dependencyRef: (v) => {
    const name = v.replace(/^(job|service)\//, '');
    if (/^[a-z]+\//.test(v) && name === v) return `must be NAME, job/NAME or service/NAME, ${got(v)}`;
    const err = dns1123LabelError(name);
    return err ? `must be NAME, job/NAME or service/NAME with NAME ${DNS1123_LABEL_RULE}, ${got(v)}` : undefined;
  },
  httpPath: (v) => `must start with "/", ${got(v)}`,
  readinessProtocol: (v) => (v === 'HTTPS' ? 'HTTPS is not supported (tasks serve no TLS here): use HTTP' : undefined),
  envName: (v) =>
    `must be an environment variable name (a letter or '_', then letters, digits, '_', '.' or '-'), ${got(v)}`,
  secretKey: (v) =>
    v === '' ? undefined : `must be a secret key (letters, digits, '-', '_' and '.', at most 253 characters), ${got(v)}`,
  attributeName: (v) =>
    `must be an attribute name (letters, digits, '-', '_', '.' and '/', starting and ending with a letter or digit, at most 253 characters), ${got(v)}`,
};

/** The innermost `definitions/<name>` a schema path runs through. */
function definitionOf(schemaPath: string): string | undefined {
  const all = [...schemaPath.matchAll(/definitions\/([A-Za-z0-9_]+)/g)];
  return all.length > 0 ? all[all.length - 1]![1] : undefined;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** ajv's message, rephrased where it is unclear. */
function message(e: ErrorObject): string {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'type': {
      const types: string[] = Array.isArray(p.type) ? p.type : String(p.type).split(',');
      return `must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}`;
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${plural(p.limit, 'character')}`;
    case 'maxLength':
      return `must be at most ${plural(p.limit, 'character')}`;
    case 'minItems':
      return p.limit === 1 ? 'must not be empty' : `must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${plural(p.limit, 'item')}`;
    case 'uniqueItems':
      // ajv's i and j come in either order, depending on the item type
      return `must not repeat items (items ${Math.min(p.i, p.j)} and ${Math.max(p.i, p.j)} are equal)`;
    case 'pattern':
      return `must match ${p.pattern}`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

function detail(segments: Segment[], rule: string, msg: string): ErrorDetail {
  return { field: formatPath(segments), rule, message: msg };
}

/** Convert ajv errors about data into details, deduplicated by field and message. */
export function schemaErrorDetails(errors: readonly ErrorObject[], data: unknown): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const d = convert(e, data);
    if (!d) continue;
    const key = `${d.field}\n${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function convert(e: ErrorObject, data: unknown): ErrorDetail | undefined {
  // propertyNames wraps the error of the name itself, which follows; so does `if` (env values).
  if (e.keyword === 'propertyNames' || e.keyword === 'if') return undefined;
  const def = definitionOf(e.schemaPath);
  if (def !== undefined && CHECKED_IN_CODE.has(def)) return undefined;
  const segs = pointerSegments(e.instancePath, data);
  const p = e.params as Record<string, any>;

  if (e.keyword === 'required') return detail([...segs, p.missingProperty], 'required', 'is required');
  if (e.keyword === 'additionalProperties') {
    const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const name = String(p.additionalProperty);
    return detail([...segs, name], 'additionalProperties', `unknown field${didYouMean(name, allowed)}`);
  }

  // An error about a property name (propertyNames) names the key itself.
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  const at = propertyName !== undefined ? [...segs, propertyName] : segs;
  const value = propertyName !== undefined ? propertyName : valueAt(e.instancePath, data);
  // an env value that is neither a string nor an object (ajv reports the else branch of envValue)
  if (e.keyword === 'type' && e.schemaPath.endsWith('else/type') && /\/env\/[^/]+$/.test(e.instancePath)) return detail(at, 'type', `must be a string or a secret reference {secret: NAME, key: KEY}`);
  const ruleMessage = def !== undefined ? RULE_MESSAGES[def] : undefined;
  if (ruleMessage && typeof value === 'string' && e.keyword !== 'type') {
    const m = ruleMessage(value);
    if (m) return detail(at, def!, propertyName !== undefined ? `invalid key: ${m}` : m);
  }
  return detail(at, e.keyword, propertyName !== undefined ? `invalid key: ${message(e)}` : message(e));
}
