/**
 * The scheduler loop's pure parts: which tasks wait for a node, how
 * placements are packed into etcd transactions, when a pending reason is
 * worth writing again.
 */
import { lookupKind } from '../../api/kinds.js';
import { OWNER_LABEL } from '../../api/labels.js';
import type { AnyResource, Task, TaskStatus } from '../../api/types.js';
import type { Placement, Waiting } from '../../scheduler/index.js';

/**
 * A task the scheduler should place: Pending and not being killed. A task
 * is created without a status key, and every reader fills in its implied
 * Pending (api/implied-status.ts); the binding compares the status key's
 * absence and the task's existence, so binding one whose status a cache has
 * not shown yet only loses a compare-and-swap.
 */
export function isPending(t: Task): boolean {
  return t.status?.state === 'Pending' && t.spec.desiredState !== 'Killed';
}

export interface NodeBatch {
  node: string;
  placements: Placement[];
}

/**
 * Group placements by node and pack them into transactions of at most
 * maxOps operations (a node costs 1 + 2 per task: its status, and each
 * task's status and assignment). Compares cost no more (the node's status,
 * each task's status, and its existence when it has no status yet), so the
 * bound holds for etcd's three counts alike; the caller keeps one for the fence. A node's placements share a transaction
 * (they all compare the same node revision); a node with more than one
 * transaction holds is cut into chunks that go in separate transactions,
 * in order (each compares the revision the previous one wrote).
 */
export function planBatches(placements: readonly Placement[], maxOps: number): NodeBatch[][] {
  const byNode = new Map<string, Placement[]>();
  for (const p of placements) {
    const l = byNode.get(p.node);
    if (l) l.push(p);
    else byNode.set(p.node, [p]);
  }
  const perNodeMax = Math.floor((maxOps - 1) / 2);
  const batches: NodeBatch[][] = [];
  let cur: NodeBatch[] = [];
  let ops = 0;
  for (const [node, ps] of byNode) {
    for (let i = 0; i < ps.length; i += perNodeMax) {
      const take = ps.slice(i, i + perNodeMax);
      const cost = 1 + 2 * take.length;
      // a node's next chunk never shares a transaction with its previous one
      if (ops + cost > maxOps || (i > 0 && cur.length > 0)) {
        batches.push(cur);
        cur = [];
        ops = 0;
      }
      cur.push({ node, placements: take });
      ops += cost;
    }
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

/** Whether the status already says what `w` says (then nothing is written). */
export function waitingChanged(status: TaskStatus | undefined, w: Waiting): boolean {
  if (status?.pendingReason !== w.summary) return true;
  const a = status.pendingDetails ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(w.counts)]);
  for (const k of keys) if (a[k] !== w.counts[k]) return true;
  return false;
}

/** An event the binder records: about a task, or (in bulk) about the tasks' owner. */
export interface BindEvent {
  about: AnyResource;
  message: string;
}

/** Per-task Scheduled events up to this many bound in one cycle; past it, one per owner and batch. */
export const MAX_TASK_EVENTS_PER_CYCLE = 20;

/**
 * The Scheduled events of bindings that committed: one per task ("where"),
 * or, in a big cycle, one per owner naming how many went to which nodes, so
 * a 10,000-task scale writes a few series on the service (each coalesced
 * into one Event with a count) rather than 10,000 Events.
 */
export function scheduledEvents(bound: readonly { node: string; tasks: readonly Task[] }[], perTask: boolean): BindEvent[] {
  if (perTask) return bound.flatMap((b) => b.tasks.map((t) => ({ about: t, message: `assigned ${t.metadata.namespace ?? 'default'}/${t.metadata.name} to ${b.node}` })));
  const byOwner = new Map<string, { about: AnyResource; nodes: Map<string, number>; n: number }>();
  for (const b of bound) {
    for (const t of b.tasks) {
      const ref = ownerRef(t);
      const k = `${ref.metadata.namespace}/${ref.kind}/${ref.metadata.name}`;
      let o = byOwner.get(k);
      if (!o) byOwner.set(k, (o = { about: ref, nodes: new Map(), n: 0 }));
      o.n++;
      o.nodes.set(b.node, (o.nodes.get(b.node) ?? 0) + 1);
    }
  }
  return [...byOwner.values()].map((o) => {
    const nodes = [...o.nodes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown = nodes.slice(0, 5).map(([n, c]) => `${n} (${c})`).join(', ');
    return { about: o.about, message: `assigned ${o.n} task(s) to ${nodes.length} node(s): ${shown}${nodes.length > 5 ? `, and ${nodes.length - 5} more` : ''}` };
  });
}

/** The owner of a task as an object an event can be about (the task itself when it has none). */
function ownerRef(t: Task): AnyResource {
  const owner = t.spec.owner ?? t.metadata.labels?.[OWNER_LABEL];
  const i = owner?.indexOf('/') ?? -1;
  const kind = i > 0 ? lookupKind(owner!.slice(0, i)) : undefined;
  if (!kind) return t;
  const job = t.metadata.labels?.['stowage/job'];
  return {
    apiVersion: 'stowage/v1',
    kind: kind.kind,
    metadata: { name: owner!.slice(i + 1), namespace: t.metadata.namespace, uid: t.spec.ownerUid, ...(job ? { labels: { 'stowage/job': job } } : {}) },
    spec: {},
  } as AnyResource;
}
