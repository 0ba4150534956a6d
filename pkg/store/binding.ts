/**
 * Binding: a task is given a node and host ports, and the node's allocation
 * takes the task's resources, in ONE transaction that compares both
 * revisions the placer read. If anything moved in between, nothing is
 * written and the placer retries with fresh state, so a node is never
 * over-committed whatever crashes when.
 *
 * The same transaction writes the assignment key the node's agent watches
 * (/stowage/assignments/<node>/<ns>/<task>): its value is the task as bound,
 * with what its namespace allowed it beyond the safe default (status.allowed),
 * which the agent checks again before it starts the container.
 *
 * Releasing is the reverse: a task that ended (or vanished) leaves the
 * node's `status.tasks`, guarded by the node status revision.
 */
import { isDeepStrictEqual } from 'node:util';
import { lookupKind } from '../api/kinds.js';
import type { Node, NodeAllocation, NodeStatus, Task, TaskAllowance, TaskStatus } from '../api/types.js';
import { assignmentKey, nsSegment, specKey, statusKey } from './keys.js';
import type { Stored } from './store.js';
import type { Txn } from './txn.js';

const TASK = lookupKind('Task')!;
const NODE = lookupKind('Node')!;

export interface Binding {
  task: Stored<Task>;
  ports: Record<string, number>;
  /** What the task's namespace allows of what it asks for (capabilities, host paths), when it asks for any. */
  allowed?: TaskAllowance;
}

export const taskRef = (t: Task): string => `${nsSegment(TASK, t.metadata.namespace)}/${t.metadata.name}`;

/** Recompute the totals of a node status from its per-task allocations. */
export function summarize(node: Node, tasks: Record<string, NodeAllocation>): Pick<NodeStatus, 'allocated' | 'free' | 'tasks' | 'capacity'> {
  const a = { cpus: 0, mem: 0, disk: 0, ports: 0 };
  for (const t of Object.values(tasks)) {
    a.cpus += t.cpus;
    a.mem += t.mem;
    a.disk += t.disk;
    a.ports += t.ports.length;
  }
  // a Node applied by hand before its agent registered offers nothing yet
  const cap = node.spec.capacity ?? { cpus: 0, mem: 0, disk: 0 };
  const totalPorts = (node.spec.portRanges ?? []).reduce((n, r) => n + (r.end - r.begin + 1), 0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    capacity: cap,
    tasks,
    allocated: { cpus: round(a.cpus), mem: a.mem, disk: a.disk, ports: a.ports },
    free: { cpus: round(cap.cpus - a.cpus), mem: cap.mem - a.mem, disk: cap.disk - a.disk, ports: totalPorts - a.ports },
  };
}

/**
 * Add the binding of `bindings` (all to `node`) to txn: guarded by the node
 * status revision and each task's status revision. Returns the node status
 * that will be written. Costs 1 + 2 * bindings.length operations.
 */
export function addBindings(txn: Txn, node: Stored<Node>, bindings: Binding[]): NodeStatus {
  const nodeName = node.object.metadata.name;
  const prev = node.object.status ?? { state: 'NotReady' as const };
  const tasks: Record<string, NodeAllocation> = { ...(prev.tasks ?? {}) };
  for (const b of bindings) {
    const t = b.task.object;
    const r = t.spec.resources;
    tasks[taskRef(t)] = { cpus: r.cpus, mem: r.mem, disk: r.disk ?? 0, ports: Object.values(b.ports) };
  }
  const status: NodeStatus = { ...prev, ...summarize(node.object, tasks) };
  txn.ifModRev(statusKey(NODE, undefined, nodeName), node.statusRev).put(statusKey(NODE, undefined, nodeName), JSON.stringify(status));
  for (const b of bindings) {
    const t = b.task.object;
    const ns = nsSegment(TASK, t.metadata.namespace);
    const taskStatus: TaskStatus = {
      ...(t.status ?? {}),
      state: 'Bound',
      nodeName,
      ports: b.ports,
      health: t.spec.healthChecks?.length ? 'Unknown' : undefined,
      ready: t.spec.readinessChecks?.length ? false : undefined,
      pendingReason: undefined,
      pendingDetails: undefined,
      allowed: b.allowed,
    };
    const bound: Task = { ...t, status: taskStatus };
    const sk = statusKey(TASK, ns, t.metadata.name);
    txn.ifModRev(sk, b.task.statusRev);
    // with no status yet, "absent status" alone would not prove the task still exists
    if (b.task.statusRev === '0') txn.compareExists(specKey(TASK, ns, t.metadata.name));
    txn
      .put(sk, JSON.stringify(taskStatus))
      .put(assignmentKey(nodeName, ns, t.metadata.name), JSON.stringify(bound));
    b.task.object = bound;
  }
  return status;
}

/**
 * After a binding transaction failed: what one node's part can be sent again
 * against, read from the values the failure branch read back (`current`):
 * the same node and tasks when every compare of the part held (its node
 * status revision; each task's status revision, and the task's existence
 * when it had no status); the node with its current status when only the
 * node's `usage` moved (its agent's sample, written on the same key: nothing
 * the binding adds up changed, and the new revision is what the next try
 * compares); a task with its current status when that status still says
 * Pending on no node (a pending reason written meanwhile: nobody placed or
 * ended it); undefined when anything else moved (place again). One node's
 * lost race need not cost the others theirs, nor an agent's usage sample or
 * a task's pending reason a binding.
 */
export function rebaseBinding(
  current: ReadonlyMap<string, { mod_revision: string | number; value?: Buffer }>,
  node: Stored<Node>,
  tasks: readonly Stored<Task>[],
): { node: Stored<Node>; tasks: Stored<Task>[] } | undefined {
  const rebased: Stored<Task>[] = [];
  for (const t of tasks) {
    const r = rebaseTask(current, t);
    if (!r) return undefined;
    rebased.push(r);
  }
  const nk = statusKey(NODE, undefined, node.object.metadata.name);
  const now = current.get(nk);
  if (String(now?.mod_revision ?? '0') === node.statusRev) return { node, tasks: rebased };
  if (!now?.value || !node.object.status) return undefined;
  const status = JSON.parse(now.value.toString()) as NodeStatus;
  if (!isDeepStrictEqual(withoutUsage(status), withoutUsage(node.object.status))) return undefined;
  return { node: { object: { ...node.object, status }, specRev: node.specRev, statusRev: String(now.mod_revision) }, tasks: rebased };
}

function rebaseTask(current: ReadonlyMap<string, { mod_revision: string | number; value?: Buffer }>, t: Stored<Task>): Stored<Task> | undefined {
  const ns = nsSegment(TASK, t.object.metadata.namespace);
  // a task without status was compared for its existence too
  if (t.statusRev === '0' && !current.has(specKey(TASK, ns, t.object.metadata.name))) return undefined;
  const now = current.get(statusKey(TASK, ns, t.object.metadata.name));
  const rev = String(now?.mod_revision ?? '0');
  if (rev === t.statusRev) return t;
  if (!now?.value) return undefined;
  const status = JSON.parse(now.value.toString()) as TaskStatus;
  if (status.state !== 'Pending' || status.nodeName !== undefined) return undefined;
  return { object: { ...t.object, status }, specRev: t.specRev, statusRev: rev };
}

/** A node status as JSON would carry it (no undefined members), without its usage. */
const withoutUsage = (s: NodeStatus): unknown => JSON.parse(JSON.stringify({ ...s, usage: undefined }));

/** Add the release of `refs` ("ns/name") from the node's allocation to txn. */
export function addRelease(txn: Txn, node: Stored<Node>, refs: string[]): NodeStatus {
  const prev = node.object.status ?? { state: 'NotReady' as const };
  const tasks: Record<string, NodeAllocation> = { ...(prev.tasks ?? {}) };
  for (const r of refs) delete tasks[r];
  const status: NodeStatus = { ...prev, ...summarize(node.object, tasks) };
  const k = statusKey(NODE, undefined, node.object.metadata.name);
  txn.ifModRev(k, node.statusRev).put(k, JSON.stringify(status));
  return status;
}
