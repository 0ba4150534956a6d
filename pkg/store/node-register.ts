/**
 * Node registration (the agent's, directly or through a server's agent API):
 * the agent writes its Node (what the host offers) and
 * marks it Ready, both with CAS, retrying on conflict.
 *
 *   get Node ──absent──► create spec + status {Ready, capacity, free} in one txn
 *       └─present─► merge spec (ours over theirs; unschedulable untouched) ──► update (CAS)
 *                   status {...theirs, state Ready, totals recomputed from tasks} ──► putStatus (CAS)
 *
 * The status key is shared with the leader: `tasks` is the binder's, so it
 * is kept as read and the totals are recomputed from it (capacity may have
 * changed), never dropped. Attributes the agent set before but was not
 * given this time are dropped; those a user set stay (the keys the agent
 * owns are listed in an annotation).
 *
 * When the write makes the node Ready (it was not, or it is new), `onReady`
 * may add writes of its own to that transaction: the caller's NodeReady
 * event lands with the transition or not at all.
 */
import { ApiError, isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import { API_VERSION, type Node, type NodeSpec, type NodeStatus, type PortRange, type Resources } from '../api/types.js';
import { errMsg, type Logger } from '../log/logger.js';
import { summarize } from './binding.js';
import { Store, type Stored } from './store.js';
import type { Txn } from './txn.js';

const NODE = lookupKind('Node')!;
/** The servers' --node-lost-grace unless given: after a node's heartbeat lapses this long its tasks are Lost. */
export const DEFAULT_NODE_LOST_GRACE_SECONDS = 10;

export const AGENT_ATTRIBUTES = 'stowage/agent-attributes';

export interface Registration {
  name: string;
  capacity: Resources;
  portRanges: PortRange[];
  attributes: Record<string, string>;
  address: string;
  version: string;
  driver: 'docker' | 'sim';
}

/** The Node the agent wants, given the one stored (if any). Pure. */
export function desiredNode(reg: Registration, prev: Node | undefined): Node {
  const owned = (prev?.metadata.annotations?.[AGENT_ATTRIBUTES] ?? '').split(',').filter(Boolean);
  const attributes: Record<string, string> = { ...(prev?.spec.attributes ?? {}) };
  for (const k of owned) delete attributes[k];
  Object.assign(attributes, reg.attributes);
  const annotations = { ...(prev?.metadata.annotations ?? {}), [AGENT_ATTRIBUTES]: Object.keys(reg.attributes).sort().join(',') };
  const spec: NodeSpec = {
    ...(prev?.spec ?? {}),
    capacity: reg.capacity,
    portRanges: reg.portRanges,
    attributes,
    address: reg.address,
    version: reg.version,
    driver: reg.driver,
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { ...(prev?.metadata ?? {}), name: reg.name, annotations },
    spec,
  };
}

/** The node status at (re)registration: Ready, totals from the binder's tasks. Pure. */
export function readyStatus(node: Node, prev: NodeStatus | undefined, now: Date): NodeStatus {
  const wasReady = prev?.state === 'Ready';
  return {
    ...(prev ?? {}),
    ...summarize(node, prev?.tasks ?? {}),
    state: 'Ready',
    reason: 'AgentReady',
    lastTransitionTime: wasReady ? (prev?.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
  };
}

const sameSpec = (a: Node, b: Node) =>
  JSON.stringify(a.spec) === JSON.stringify(b.spec) && JSON.stringify(a.metadata.annotations) === JSON.stringify(b.metadata.annotations);

/** Adds writes to the transaction that makes `node` Ready; `prev` is the status it had (none: new, or never written). */
export type OnReady = (txn: Txn, node: Node, prev: NodeStatus | undefined) => void;

export interface RegisterOptions {
  onReady?: OnReady;
  now?: () => Date;
}

/** Register (or re-register) one node; retries conflicts. Returns the stored Node. */
export async function registerNode(store: Store, reg: Registration, log: Logger, opts: RegisterOptions = {}): Promise<Stored<Node>> {
  const now = opts.now ?? (() => new Date());
  for (let attempt = 1; ; attempt++) {
    try {
      const cur = await store.get<Node>(NODE, undefined, reg.name);
      if (!cur) {
        const node = desiredNode(reg, undefined);
        node.status = readyStatus(node, undefined, now());
        const txn = store.txn();
        Store.addCreate(txn, NODE, node);
        opts.onReady?.(txn, node, undefined);
        const r = await txn.commit();
        if (!r.succeeded) throw new ApiError('AlreadyExists', `node "${reg.name}" already exists`);
        node.metadata.resourceVersion = r.revision;
        return { object: node, specRev: r.revision, statusRev: r.revision };
      }
      let stored: Stored<Node> = cur;
      const want = desiredNode(reg, cur.object);
      if (!sameSpec(want, cur.object)) stored = await store.update(NODE, want, cur, cur.specRev);
      const prev = cur.object.status;
      const status = readyStatus(stored.object, prev, now());
      const txn = store.txn();
      Store.addPutStatus(txn, NODE, undefined, reg.name, status, cur.statusRev);
      if (prev?.state !== 'Ready') opts.onReady?.(txn, { ...stored.object, status }, prev);
      const statusRev = Store.statusWritten(await txn.commit(), NODE, undefined, reg.name, cur.statusRev);
      return { object: { ...stored.object, status }, specRev: stored.specRev, statusRev };
    } catch (e) {
      const retry = isApiError(e, 'Conflict') || isApiError(e, 'AlreadyExists') || isApiError(e, 'NotFound');
      if (!retry || attempt >= 20) throw e;
      log.debug('node registration raced a writer; retrying', { node: reg.name, error: errMsg(e) });
    }
  }
}
