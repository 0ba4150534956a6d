/**
 * The scheduler loop's pure parts: which tasks wait for a node, how
 * placements are packed into etcd transactions, when a pending reason is
 * worth writing again.
 */
import type { Task, TaskStatus } from '../../api/types.js';
import type { Placement, Waiting } from '../../scheduler/index.js';

/**
 * A task the scheduler should place: Pending and not being killed. A task
 * is created with its Pending status in the same transaction; a cache can
 * show the object a moment before its status, and binding it then would
 * only lose a compare-and-swap, so a task without status waits.
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
