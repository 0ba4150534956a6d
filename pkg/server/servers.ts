/**
 * `GET /api/v1/servers`: every `stowage server` of the cluster and which one
 * leads, for the web UI's overview and for people asking "who is standby?".
 *
 *   etcd /stowage/leader/<lease> = "<host>/<pid>@<listen>"  (one key per candidate, on its lease)
 *        │  sorted by create revision
 *        ▼
 *   [leader, next in line, ...]   the lowest create revision leads (pkg/election);
 *                                 each standby waits for the key just before its own,
 *                                 so the order is the order of succession
 *
 * Every live server campaigns, and its key goes with its lease, so a server
 * that stops leaves the list within its lease TTL. One etcd range read.
 */
import type { ServerResponse } from 'node:http';
import { LEADER_PREFIX } from '../store/keys.js';
import { unavailable } from '../store/errors.js';
import { prefixEnd, type Store } from '../store/store.js';
import { sendJson } from './respond.js';
import { serverAddress } from './sd.js';

/** One candidate key as etcd holds it. */
export interface Candidate {
  identity: string;
  /** The key's create revision (decimal string): the lowest leads. */
  createRevision: string;
}

export interface ServerEntry {
  /** `<hostname>/<pid>@<listen>`, as /readyz names the leader. */
  identity: string;
  /** host:port its API listens on; null when the identity names none. */
  address: string | null;
  /** The elected leader; the others are standbys. */
  leader: boolean;
  /** The server that answered this request. */
  self: boolean;
  createRevision: string;
}

export interface ServersAnswer {
  /** The leader first, then the standbys in the order they would take over. */
  items: ServerEntry[];
  leader: string | null;
  /** The etcd revision the list was read at. */
  revision: string;
}

/** Leader first, then the order of succession. Pure. */
export function serverList(candidates: readonly Candidate[], self: string | undefined, revision: string): ServersAnswer {
  const sorted = [...candidates].sort((a, b) => {
    const x = BigInt(a.createRevision);
    const y = BigInt(b.createRevision);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const items = sorted.map((c, i) => ({
    identity: c.identity,
    address: serverAddress(c.identity) ?? null,
    leader: i === 0,
    self: self !== undefined && c.identity === self,
    createRevision: c.createRevision,
  }));
  return { items, leader: items[0]?.identity ?? null, revision };
}

export async function readServers(store: Store, self: string | undefined): Promise<ServersAnswer> {
  let res;
  try {
    res = await store.client.kv.range({ key: Buffer.from(LEADER_PREFIX), range_end: prefixEnd(LEADER_PREFIX) });
  } catch (e) {
    throw unavailable(e);
  }
  const candidates = res.kvs.map((kv) => ({ identity: kv.value.toString(), createRevision: String(kv.create_revision) }));
  return serverList(candidates, self, String(res.header.revision));
}

export async function serveServers(store: Store, res: ServerResponse, self: string | undefined): Promise<void> {
  sendJson(res, 200, await readServers(store, self));
}
