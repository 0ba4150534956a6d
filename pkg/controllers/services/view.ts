/**
 * How the services loop sees one task (pure):
 *
 *   terminal (Succeeded/Failed/Killed/Lost) ──► record, delete
 *   desiredState Killed, not ended ──────────► terminating: gone for instances,
 *                                               still occupying capacity
 *   live ──► current template | old template
 *            healthy, ready (pkg/api/task-ready.ts): ready is what rollouts,
 *                    minimumHealthCapacity and deployments count, and
 *                    exactly what the endpoints list
 *            condemned = Unhealthy past maxConsecutiveFailures (health policy)
 */
import { TERMINAL_STATES, type Task, type TaskFailure, type TaskState } from '../../api/types.js';
import { HASH_LABEL, REVISION_LABEL } from '../../api/labels.js';
import { hasHealthChecks, hasReadinessChecks, isHealthy, isReady } from '../../api/task-ready.js';
import { condemned } from '../health/compute.js';

export interface TaskView {
  readonly task: Task;
  name: string;
  state: TaskState;
  hash: string | undefined;
  revision: number;
  terminal: boolean;
  terminating: boolean;
  bound: boolean;
  healthy: boolean;
  ready: boolean;
  /** It has readiness checks. */
  readiness: boolean;
  condemned: boolean;
  createdMs: number;
  /** When it became ready (ms), if it is. */
  readySince?: number;
}

/**
 * Views by task object. Objects from the informer are never modified (a
 * change is a new object), so a view computed once stays right; this keeps
 * a reconcile of a 10,000-task service from re-parsing 10,000 timestamps.
 */
const views = new WeakMap<Task, TaskView>();

export function viewOf(t: Task): TaskView {
  let v = views.get(t);
  if (!v) views.set(t, (v = Object.freeze(makeView(t))));
  return v;
}

/** An ISO time in ms (0 when absent or not a time). */
const msOf = (ts: string | undefined): number => (ts ? Date.parse(ts) || 0 : 0);

// (a pass over a 100,000-task service makes a view of every task that changed since the last one)
function makeView(t: Task): TaskView {
  const st = t.status;
  const state = st?.state ?? 'Pending';
  const terminal = TERMINAL_STATES.has(state);
  const hasChecks = hasHealthChecks(t);
  const hasReadiness = hasReadinessChecks(t);
  const healthy = isHealthy(t);
  const ready = isReady(t);
  const labels = t.metadata.labels;
  const v: TaskView = {
    task: t,
    name: t.metadata.name,
    state,
    hash: t.spec.templateHash ?? labels?.[HASH_LABEL],
    revision: Number(labels?.[REVISION_LABEL] ?? 0),
    terminal,
    terminating: !terminal && t.spec.desiredState === 'Killed',
    bound: !!st?.nodeName,
    healthy,
    ready,
    readiness: hasReadiness,
    condemned: !terminal && condemned(t),
    createdMs: msOf(t.metadata.creationTimestamp),
  };
  // ready since the later of healthy (or started) and its readiness check passing
  if (ready) v.readySince = Math.max(msOf(hasChecks ? st?.healthyAt : st?.startedAt), hasReadiness ? msOf(st?.readyAt) : 0);
  return v;
}

/**
 * Kill order for surplus tasks: the least useful first — unplaced, then not
 * running, then not ready, then the youngest (Marathon kills youngest first).
 */
export function killOrder(a: TaskView, b: TaskView): number {
  const rank = (v: TaskView) => (!v.bound ? 0 : v.state !== 'Running' ? 1 : !v.ready ? 2 : 3);
  return rank(a) - rank(b) || b.createdMs - a.createdMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** Order for old tasks in a rollout: not ready first, then the oldest revision, then the youngest. */
export function oldKillOrder(revisionOf: (v: TaskView) => number): (a: TaskView, b: TaskView) => number {
  return (a, b) => Number(a.ready) - Number(b.ready) || revisionOf(a) - revisionOf(b) || killOrder(a, b);
}

/**
 * What a terminal task says about the service: a failure to record (with
 * whether it counts toward the launch backoff), or nothing when the loop
 * asked for the stop itself.
 */
export function endOf(v: TaskView, now: number, revision = v.revision): { failure?: TaskFailure; backoff: boolean } {
  const t = v.task;
  const st = t.status;
  if (!v.terminal) return { backoff: false };
  if (v.state === 'Killed' && t.spec.desiredState === 'Killed') return { backoff: false };
  const at = Math.min(now, Date.parse(st?.finishedAt ?? '') || now);
  const failure: TaskFailure = {
    task: v.name,
    ...(revision ? { revision } : {}),
    state: v.state,
    ...(st?.exitCode !== undefined ? { exitCode: st.exitCode } : {}),
    ...(st?.reason ? { reason: st.reason } : v.state === 'Succeeded' ? { reason: 'Exited' } : {}),
    ...(st?.message ? { message: st.message } : {}),
    ...(st?.output ? { output: st.output } : {}),
    ...(st?.nodeName ? { node: st.nodeName } : {}),
    at: new Date(at).toISOString(),
  };
  return { failure, backoff: v.state === 'Failed' || v.state === 'Succeeded' };
}
