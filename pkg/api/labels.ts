/**
 * Labels and Kubernetes label selectors.
 *
 *   a=b  a==b  a!=b  a  !a  a in (x,y)  a notin (x)     comma = AND
 *
 * Keys follow Kubernetes (optional DNS-1123 subdomain prefix and '/', then a
 * name of at most 63 characters). Values follow Kubernetes too, except that
 * Stowage allows '/' in them: `stowage/owner=service/hello`.
 */
import { ApiError } from './errors.js';
import { isDns1123Subdomain, got } from './names.js';

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)?$/;
export const LABEL_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;
export const LABEL_PREFIX_MAX = 253;

/** Labels Stowage puts on the tasks it creates: `stowage/owner: service/hello` lists a service's tasks. */
export const OWNER_LABEL = 'stowage/owner';
/** The hash of the template a task was made from (pkg/api/template.ts). */
export const HASH_LABEL = 'stowage/template-hash';
/** The revision number of that template in its service's history. */
export const REVISION_LABEL = 'stowage/revision';

/** undefined when key is a valid label key, else why not. */
export function labelKeyError(key: string): string | undefined {
  if (key === '') return 'label key must not be empty';
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix === '') return `invalid label key "${key}": prefix part must not be empty`;
    if (prefix.length > LABEL_PREFIX_MAX)
      return `invalid label key "${key}": prefix part must be no more than ${LABEL_PREFIX_MAX} characters`;
    if (!isDns1123Subdomain(prefix))
      return `invalid label key "${key}": prefix part must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')`;
  }
  if (name === '') return `invalid label key "${key}": name part must not be empty`;
  if (name.length > LABEL_NAME_MAX)
    return `invalid label key "${key}": name part must be no more than ${LABEL_NAME_MAX} characters`;
  if (!NAME_RE.test(name))
    return `invalid label key "${key}": name part must consist of letters, digits, '-', '_' or '.', and must start and end with a letter or digit`;
  return undefined;
}

/** undefined when value is a valid label value, else why not. */
export function labelValueError(value: string): string | undefined {
  if (value.length > LABEL_VALUE_MAX)
    return `invalid label value: must be no more than ${LABEL_VALUE_MAX} characters, ${got(value)}`;
  if (!VALUE_RE.test(value))
    return `invalid label value "${value}": must be empty or consist of letters, digits, '-', '_', '.' or '/', and start and end with a letter or digit`;
  return undefined;
}

// ---- selectors ----

export type SelectorOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface Requirement {
  key: string;
  op: SelectorOperator;
  /** One value for Equals/NotEquals, one or more for In/NotIn, none otherwise. */
  values: string[];
}

/** All requirements must hold (AND); no requirements selects everything. */
export interface Selector {
  requirements: Requirement[];
}

export const EVERYTHING: Selector = { requirements: [] };

// key: anything up to an operator character or whitespace.
const KEY = '([^\\s=!(),]+)';
const TERM_EXISTS = new RegExp(`^${KEY}$`);
const TERM_NOT_EXISTS = new RegExp(`^!\\s*${KEY}$`);
const TERM_EQ = new RegExp(`^${KEY}\\s*(==|=|!=)\\s*([^\\s=!(),]*)$`);
const TERM_SET = new RegExp(`^${KEY}\\s+(in|notin)\\s*\\((.*)\\)$`);

/** Split at commas outside parentheses. */
function splitTerms(s: string): string[] | string {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') {
      if (depth > 0) return 'nested parentheses';
      depth++;
    } else if (c === ')') {
      if (depth === 0) return 'unbalanced ")"';
      depth--;
    } else if (c === ',' && depth === 0) {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return 'missing ")"';
  terms.push(s.slice(start));
  return terms;
}

function parseTerm(term: string): Requirement | string {
  const t = term.trim();
  if (t === '') return 'empty term';
  let m: RegExpExecArray | null;
  let req: Requirement;
  if ((m = TERM_NOT_EXISTS.exec(t))) req = { key: m[1]!, op: 'DoesNotExist', values: [] };
  else if ((m = TERM_SET.exec(t))) {
    const values = m[3]!.split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') return `"${m[2]}" needs at least one value in parentheses`;
    req = { key: m[1]!, op: m[2] === 'in' ? 'In' : 'NotIn', values: [...new Set(values)] };
  } else if ((m = TERM_EQ.exec(t))) req = { key: m[1]!, op: m[2] === '!=' ? 'NotEquals' : 'Equals', values: [m[3]!] };
  else if ((m = TERM_EXISTS.exec(t))) req = { key: m[1]!, op: 'Exists', values: [] };
  else if (/\s(in|notin)\s*[^(\s]/.test(t) || /\s(in|notin)$/.test(t)) return 'expected "(" after in/notin';
  else return 'expected key, !key, key=value, key==value, key!=value, key in (v1,...) or key notin (v1,...)';
  const keyErr = labelKeyError(req.key);
  if (keyErr) return keyErr;
  for (const v of req.values) {
    const valErr = labelValueError(v);
    if (valErr) return valErr;
  }
  return req;
}

function selectorError(s: string, reason: string): ApiError {
  const message = `invalid label selector "${s}": ${reason}`;
  return new ApiError('BadRequest', message, [{ field: 'labelSelector', rule: 'labelSelector', message }]);
}

/** Parse a selector string; throws ApiError BadRequest naming the bad term. Empty selects everything. */
export function parseSelector(s: string): Selector {
  if (s.trim() === '') return { requirements: [] };
  const terms = splitTerms(s);
  if (typeof terms === 'string') throw selectorError(s, terms);
  const requirements: Requirement[] = [];
  for (const term of terms) {
    const r = parseTerm(term);
    if (typeof r === 'string') throw selectorError(s, `term "${term.trim()}": ${r}`);
    requirements.push(r);
  }
  return { requirements };
}

/** Whether labels satisfy every requirement (Kubernetes semantics: != and notin match a missing key). */
export function matches(sel: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return sel.requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = has ? l[r.key] : undefined;
    switch (r.op) {
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      case 'Equals':
        return has && v === r.values[0];
      case 'NotEquals':
        return !has || v !== r.values[0];
      case 'In':
        return has && r.values.includes(v!);
      case 'NotIn':
        return !has || !r.values.includes(v!);
    }
  });
}

/** The canonical string form, e.g. `app=web,tier in (a,b),!legacy`. */
export function formatSelector(sel: Selector): string {
  return sel.requirements
    .map((r) => {
      switch (r.op) {
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'Equals':
          return `${r.key}=${r.values[0]}`;
        case 'NotEquals':
          return `${r.key}!=${r.values[0]}`;
        case 'In':
          return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
      }
    })
    .join(',');
}

/** A selector matching exactly these labels (a=b,c=d). */
export function selectorFromLabels(labels: Readonly<Record<string, string>>): Selector {
  return { requirements: Object.entries(labels).map(([key, v]) => ({ key, op: 'Equals' as const, values: [v] })) };
}
