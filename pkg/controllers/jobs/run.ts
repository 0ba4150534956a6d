/**
 * One JobRun's decision, pure: the run, its tasks and the time in; the
 * tasks to create and to stop, and the run's next status out.
 *
 *   Pending ──(a task Running)──► Running ──(completions tasks Succeeded)──► Succeeded
 *      │                            │
 *      │                            ├─ a task failed, failures <= retries ──► another task, after
 *      │                            │    retryBackoffSeconds x 2^(failures-1) (at most 300 s)
 *      │                            ├─ failures > retries ────────────────► Failed (the task's reason)
 *      │                            ├─ past activeDeadlineSeconds ────────► Failed DeadlineExceeded
 *      └────────────────────────────┴─ spec.desiredState Killed (Replace) ─► Failed Replaced
 *
 * Tasks are named <run>-<index in base 36, 5 characters>: the index is the
 * number of tasks the run made before (status.tasks), so a task is created
 * once, whatever fails when. At most `parallelism` run at once, and no more
 * are started than the completions still needed.
 */
import { TERMINAL_STATES, type JobRun, type JobRunStatus, type Task } from '../../api/types.js';
import { isActive } from './compute.js';

export const MAX_RETRY_BACKOFF_MS = 300_000;

export interface RunPlan {
  /** Indexes of the tasks to create now (their names: taskName(run, i)). */
  create: number[];
  /** Live tasks to stop. */
  stop: Task[];
  status: JobRunStatus;
  requeueAfterMs?: number;
}

export const taskName = (run: string, index: number): string => `${run}-${index.toString(36).padStart(5, '0')}`;

const ms = (s: string | undefined) => (s ? Date.parse(s) : NaN);

export function computeRun(run: JobRun, tasks: readonly Task[], now: number): RunPlan {
  const prev: JobRunStatus = run.status ?? { state: 'Pending', attempts: 0 };
  const st: JobRunStatus = { ...prev };
  const plan: RunPlan = { create: [], stop: [], status: st };
  if (!isActive(run)) return plan; // ended (or a Missed/Skipped record): nothing more to do
  const live = tasks.filter((t) => !TERMINAL_STATES.has(t.status?.state ?? 'Pending'));
  const stopping = live.filter((t) => t.spec.desiredState === 'Killed');
  const running = live.filter((t) => t.spec.desiredState !== 'Killed');
  const succeeded = tasks.filter((t) => t.status?.state === 'Succeeded');
  const failed = tasks.filter((t) => t.status?.state && TERMINAL_STATES.has(t.status.state) && t.status.state !== 'Succeeded');
  const parallelism = run.spec.parallelism ?? 1;
  const completions = run.spec.completions ?? 1;
  const iso = new Date(now).toISOString();
  const finish = (state: 'Succeeded' | 'Failed', reason: string, message: string) => {
    st.state = state;
    st.reason = reason;
    st.message = message;
    st.finishedAt = iso;
    st.retryAt = undefined;
    plan.stop.push(...running);
  };

  // When it started: its first task Running (lateness is measured from its slot).
  const started = tasks.map((t) => ms(t.status?.startedAt)).filter((x) => !Number.isNaN(x));
  if (started.length > 0 && !st.startedAt) {
    const first = Math.min(...started);
    st.startedAt = new Date(first).toISOString();
    const slot = ms(run.spec.slot);
    if (!Number.isNaN(slot)) st.lateness = Math.max(0, (first - slot) / 1000);
  }
  if (st.state === 'Pending' && (running.some((t) => t.status?.state === 'Running') || succeeded.length + failed.length > 0)) st.state = 'Running';
  st.attempts = Math.max(prev.attempts ?? 0, tasks.length === 0 ? 0 : Math.min(tasks.length, failed.length + 1));
  st.tasks = mergeNames(prev.tasks, tasks);

  if (run.spec.desiredState === 'Killed') {
    finish('Failed', 'Replaced', 'stopped: a newer slot replaced it (concurrencyPolicy Replace)');
    return plan;
  }
  const deadline = run.spec.activeDeadlineSeconds;
  const since = ms(st.startedAt) || ms(run.metadata.creationTimestamp);
  if (deadline !== undefined && !Number.isNaN(since) && now - since >= deadline * 1000) {
    finish('Failed', 'DeadlineExceeded', `still active after activeDeadlineSeconds (${deadline}s)`);
    return plan;
  }
  if (succeeded.length >= completions) {
    finish('Succeeded', 'Completed', completions === 1 ? 'exited 0' : `${succeeded.length} of ${completions} tasks succeeded`);
    return plan;
  }
  if (failed.length > run.spec.retries) {
    const last = failed.reduce((a, b) => (ms(a.status?.finishedAt) >= ms(b.status?.finishedAt) ? a : b));
    const why = last.status?.message ?? (last.status?.exitCode !== undefined ? `exited with code ${last.status.exitCode}` : last.status?.state ?? 'failed');
    finish('Failed', last.status?.reason ?? last.status?.state ?? 'Failed', `${failed.length} task(s) failed, ${run.spec.retries} retr${run.spec.retries === 1 ? 'y' : 'ies'} allowed; last: ${why}`);
    return plan;
  }

  // More tasks: within parallelism, no more than the completions still needed, after the backoff.
  const wanted = Math.min(parallelism - running.length - stopping.length, completions - succeeded.length - running.length);
  if (wanted > 0) {
    const retryAt = failed.length > 0 ? backoffAfter(run, failed) : undefined;
    if (retryAt !== undefined && now < retryAt) {
      st.retryAt = new Date(retryAt).toISOString();
      plan.requeueAfterMs = retryAt - now;
    } else {
      st.retryAt = undefined;
      const next = Math.max(prev.tasks?.length ?? 0, tasks.length);
      for (let i = 0; i < wanted; i++) plan.create.push(next + i);
      st.tasks = [...(st.tasks ?? []), ...plan.create.map((i) => taskName(run.metadata.name, i))];
    }
  }
  if (deadline !== undefined && !Number.isNaN(since)) {
    const left = since + deadline * 1000 - now;
    plan.requeueAfterMs = plan.requeueAfterMs === undefined ? left : Math.min(plan.requeueAfterMs, left);
  }
  return plan;
}

/** When the next attempt may start: the last failure's end plus the backoff for the failures so far. */
function backoffAfter(run: JobRun, failed: readonly Task[]): number {
  const last = Math.max(...failed.map((t) => ms(t.status?.finishedAt) || 0));
  const base = (run.spec.retryBackoffSeconds ?? 1) * 1000;
  return last + Math.min(MAX_RETRY_BACKOFF_MS, base * 2 ** (failed.length - 1));
}

/** The run's task names: those recorded, then those seen, in creation order. */
function mergeNames(prev: readonly string[] | undefined, tasks: readonly Task[]): string[] | undefined {
  const out = [...(prev ?? [])];
  const have = new Set(out);
  for (const t of [...tasks].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    if (!have.has(t.metadata.name)) out.push(t.metadata.name);
  }
  return out.length ? out : undefined;
}
