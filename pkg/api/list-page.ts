/**
 * Chunked lists (Kubernetes' `limit` and `continue`): the query parameters and
 * the continue token, checked with messages that name the parameter and the rule.
 *
 *   GET /api/v1/tasks?limit=500            -> items 1..500,    metadata {resourceVersion: R, continue: T1}
 *   GET /api/v1/tasks?limit=500&continue=T1 -> items 501..1000, metadata {resourceVersion: R, continue: T2}
 *   ...                                     -> the rest,        metadata {resourceVersion: R}  (no continue: the end)
 *
 * Every page is read at the first page's revision R, so the pages together are one
 * consistent snapshot. A token is opaque to clients: base64url of JSON
 * {v: 1, rev: R, list: "<plural>/<namespace or *>", after: "<namespace>/<name>"}, the last key
 * the previous page looked at. It names its list so it cannot be replayed against another.
 */
import { ApiError } from './errors.js';

export const MAX_LIMIT = 10_000;

export interface ContinueToken {
  /** The etcd revision of the first page's snapshot. */
  rev: string;
  /** The list it continues: `<plural>/<namespace>`, `*` for all namespaces. */
  list: string;
  /** The tail `<namespace>/<name>` of the last key the previous page examined. */
  after: string;
}

const REVISION = /^[1-9]\d{0,18}$/;

export function listScope(plural: string, namespace: string | undefined): string {
  return `${plural}/${namespace ?? '*'}`;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rev: t.rev, list: t.list, after: t.after }), 'utf8').toString('base64url');
}

const bad = (why: string) =>
  new ApiError('BadRequest', `continue: ${why}; pass the metadata.continue of the previous page as it was, or list again without continue`, [
    { field: 'continue', rule: 'token', message: why },
  ]);

/** The token of `continue`, for the list `scope` (listScope()); throws BadRequest naming the parameter. */
export function decodeContinue(raw: string, scope: string): ContinueToken {
  if (raw.length > 4096) throw bad('the token is too long to be one this server made');
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw bad('not a continue token (base64url expected)');
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a continue token this server made');
  }
  const o = j as Partial<Record<'v' | 'rev' | 'list' | 'after', unknown>> | null;
  if (!o || typeof o !== 'object' || o.v !== 1 || typeof o.rev !== 'string' || typeof o.list !== 'string' || typeof o.after !== 'string') {
    throw bad('not a continue token this server made');
  }
  if (!REVISION.test(o.rev)) throw bad(`the token's revision "${o.rev}" is not an etcd revision`);
  if (o.list !== scope) throw bad(`the token continues another list (${o.list}), not this one (${scope})`);
  const [ns, name, ...rest] = o.after.split('/');
  if (!ns || !name || rest.length > 0) throw bad('not a continue token this server made');
  return { rev: o.rev, list: o.list, after: o.after };
}

/** `limit`: undefined when absent; a whole number from 1 to MAX_LIMIT, else BadRequest naming it. */
export function parseLimit(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined) return undefined;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) {
    throw new ApiError('BadRequest', `limit: must be a whole number from 1 to ${MAX_LIMIT}, got "${raw.slice(0, 40)}"`, [
      { field: 'limit', rule: 'range', message: `a whole number from 1 to ${MAX_LIMIT}` },
    ]);
  }
  return n;
}
