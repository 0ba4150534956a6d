/**
 * One page of a kind's objects (Kubernetes' chunked lists), read at one etcd revision.
 *
 *   page 1:  range [prefix, end) limit L            at the current revision R -> items, R, after
 *   page n:  range (after, end)  limit L            at R (from the token)     -> items, R, after
 *            status keys of the same names, same range of tails, at R (one more read per chunk)
 *
 * With a filter (a label selector), chunks of L keys are read until L objects match or the
 * range ends, so a page holds L items unless it is the last. `after` is the tail
 * (`<namespace>/<name>`) of the last key looked at, set only when keys remain after it.
 * A revision etcd has compacted answers 410 Gone: the snapshot cannot be read any more.
 */
import type { IKeyValue, IRangeResponse } from 'etcd3';
import { ApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import { classifyEtcdError } from './errors.js';
import { parseTail, specPrefix, statusPrefix } from './keys.js';
import { decode, prefixEnd, type Stored, type Store } from './store.js';

export interface PageQuery {
  /** At most this many items; undefined: all that remain. */
  limit?: number;
  /** Continue a list: its revision and the tail of the last key the previous page looked at. */
  from?: { rev: string; after: string };
  /** Keep only the objects it accepts (a label selector); the rest do not count against limit. */
  filter?: (o: AnyResource) => boolean;
}

export interface Page<T extends AnyResource = AnyResource> {
  items: Stored<T>[];
  /** The revision every page of this list is read at. */
  revision: string;
  /** Where the next page starts; undefined on the last page. */
  after?: string;
}

async function range(store: Store, req: { key: Buffer; range_end: Buffer; limit?: number; revision?: string }, rev: string | undefined): Promise<IRangeResponse> {
  try {
    return await store.client.kv.range(req);
  } catch (e) {
    if (/compacted/.test(String(e))) {
      throw new ApiError(
        'Gone',
        `continue: the list's snapshot (resourceVersion ${rev}) is older than etcd keeps (compacted); list again from the first page, without continue`,
        [{ field: 'continue', rule: 'expired', message: 'the snapshot of this list was compacted' }],
      );
    }
    if (/future revision/.test(String(e))) {
      throw new ApiError('BadRequest', `continue: the token's revision ${rev} is newer than the store's; it is not a token this server made`, [
        { field: 'continue', rule: 'token', message: 'revision in the future' },
      ]);
    }
    throw classifyEtcdError(e);
  }
}

export async function listPage<T extends AnyResource>(store: Store, kind: KindInfo, namespace: string | undefined, q: PageQuery): Promise<Page<T>> {
  const root = specPrefix(kind);
  const statusRoot = statusPrefix(kind);
  const end = prefixEnd(specPrefix(kind, namespace));
  let rev = q.from?.rev;
  let start = q.from ? Buffer.from(`${root}${q.from.after}\0`) : Buffer.from(specPrefix(kind, namespace));
  const want = q.limit ?? Infinity;
  const items: Stored<T>[] = [];
  for (;;) {
    const r = await range(store, { key: start, range_end: end, ...(q.limit ? { limit: q.limit } : {}), ...(rev ? { revision: rev } : {}) }, rev);
    rev ??= String(r.header.revision);
    const kvs = r.kvs;
    if (kvs.length === 0) return { items, revision: rev };
    const tailOf = (kv: IKeyValue) => kv.key.toString().slice(root.length);
    const statuses = await statusesOf(store, statusRoot, tailOf(kvs[0]!), tailOf(kvs.at(-1)!), rev);
    for (let i = 0; i < kvs.length; i++) {
      const kv = kvs[i]!;
      const tail = tailOf(kv);
      if (parseTail(kv.key.toString(), root)) {
        const s = decode<T>(kv, statuses.get(tail));
        if (!q.filter || q.filter(s.object)) items.push(s);
      }
      if (items.length >= want) return { items, revision: rev, ...(i < kvs.length - 1 || r.more ? { after: tail } : {}) };
    }
    if (!r.more) return { items, revision: rev };
    start = Buffer.from(`${kvs.at(-1)!.key.toString()}\0`);
  }
}

/** The status values of the names from first to last (tails), at rev. */
async function statusesOf(store: Store, statusRoot: string, first: string, last: string, rev: string): Promise<Map<string, IKeyValue>> {
  const r = await range(store, { key: Buffer.from(statusRoot + first), range_end: Buffer.from(`${statusRoot}${last}\0`), revision: rev }, rev);
  const m = new Map<string, IKeyValue>();
  for (const kv of r.kvs) m.set(kv.key.toString().slice(statusRoot.length), kv);
  return m;
}
