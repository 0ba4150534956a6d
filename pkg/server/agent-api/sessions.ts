/**
 * Heartbeat sessions of agents on the API: an etcd lease per agent process,
 * with the heartbeat keys of its nodes on it (`/stowage/heartbeats/<node>`,
 * what the node-lifecycle loop watches).
 *
 *   POST   /api/v1/agent/sessions                {nodes, ttlSeconds, startedAt, version} -> {id, ttlSeconds, nodeLostGraceSeconds}
 *   POST   /api/v1/agent/sessions/<id>/keepalive -> {ttlSeconds, nodeLostGraceSeconds}; 404 once the lease ran out
 *
 * nodeLostGraceSeconds is this server's --node-lost-grace: how long after
 * the lease runs out the node's tasks are given away. An agent cut off that
 * long stops its containers (pkg/agent/disconnect.ts).
 *   DELETE /api/v1/agent/sessions/<id>           revoke: the nodes go NotReady at once
 *
 * The lease is etcd's, so any server renews or revokes it. A node's token
 * may touch only a lease whose keys are its own heartbeat key: checked once
 * per lease and server (the keys of a lease never change).
 */
import { ApiError } from '../../api/errors.js';
import { refuseAgentAct } from '../../auth/node-authorizer.js';
import type { Principal } from '../../auth/principal.js';
import { heartbeatKey, HEARTBEAT_PREFIX } from '../../store/keys.js';
import type { LeaseKeeper } from '../../store/leases.js';
import type { Store } from '../../store/store.js';
import { Txn } from '../../store/txn.js';

const PUTS_PER_TXN = 100;
/** Leases whose nodes this server knows, at most (the oldest are forgotten and looked up again). */
const KNOWN_MAX = 10_000;

export class Sessions {
  private readonly known = new Map<string, readonly string[]>();

  constructor(
    private readonly store: Store,
    private readonly leases: LeaseKeeper,
    private readonly nodeLostGraceSeconds: number,
  ) {}

  async create(p: Principal, s: { nodes: string[]; ttlSeconds: number; startedAt: string; version: string }): Promise<{ id: string; ttlSeconds: number; nodeLostGraceSeconds: number }> {
    forbidIf(refuseAgentAct(p, { verb: 'heartbeat', nodes: s.nodes }));
    const id = await this.leases.grant(s.ttlSeconds);
    try {
      const value = (node: string) => JSON.stringify({ node, startedAt: s.startedAt, version: s.version });
      const txns: Promise<unknown>[] = [];
      for (let i = 0; i < s.nodes.length; i += PUTS_PER_TXN) {
        const txn = new Txn(this.store.client);
        // the heartbeat key is the agent's own (no object, no CAS): a restarted agent takes it over
        for (const n of s.nodes.slice(i, i + PUTS_PER_TXN)) txn.put(heartbeatKey(n), value(n), id);
        txns.push(txn.commit());
      }
      await Promise.all(txns);
    } catch (e) {
      await this.leases.revoke(id).catch(() => undefined);
      throw e;
    }
    this.remember(id, s.nodes);
    return { id, ttlSeconds: s.ttlSeconds, nodeLostGraceSeconds: this.nodeLostGraceSeconds };
  }

  async keepAlive(p: Principal, id: string): Promise<{ ttlSeconds: number; nodeLostGraceSeconds: number }> {
    await this.authorize(p, id);
    const ttl = await this.leases.keepAlive(id);
    if (ttl <= 0) throw gone(id);
    return { ttlSeconds: ttl, nodeLostGraceSeconds: this.nodeLostGraceSeconds };
  }

  async end(p: Principal, id: string): Promise<void> {
    await this.authorize(p, id);
    await this.leases.revoke(id);
    this.known.delete(id);
  }

  private async authorize(p: Principal, id: string): Promise<void> {
    if (!/^\d{1,20}$/.test(id)) throw new ApiError('NotFound', `no heartbeat session "${id}"; sessions are numbers`);
    if (p.role === 'admin') return;
    let nodes = this.known.get(id);
    if (!nodes) {
      const keys = await this.leases.keys(id);
      if (!keys) throw gone(id);
      nodes = keys.filter((k) => k.startsWith(HEARTBEAT_PREFIX)).map((k) => k.slice(HEARTBEAT_PREFIX.length));
      this.remember(id, nodes);
    }
    forbidIf(refuseAgentAct(p, { verb: 'heartbeat', nodes }));
  }

  private remember(id: string, nodes: readonly string[]): void {
    if (this.known.size >= KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
    this.known.set(id, nodes);
  }
}

const gone = (id: string) => new ApiError('NotFound', `heartbeat session ${id} has ended (its lease ran out or was revoked); start a new one`);

export function forbidIf(refusal: string | undefined): void {
  if (refusal !== undefined) throw new ApiError('Forbidden', refusal);
}
