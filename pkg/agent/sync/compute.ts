/**
 * What to do about one task uid, given what is wanted and what runs. Pure:
 * the node sync calls it for a uid whenever anything about that uid changed
 * (an assignment, a container event, a status conflict, a re-list), and on
 * start for every uid it knows (adoption).
 *
 *   desired (assignment + last known status)   observed (containers with that uid)
 *                       └──────────── compute ────────────┘
 *                                       │
 *        start | adopt | report | drain | kill | remove | reportKilled | reportMissing | lateOOM
 *
 * The rules (DESIGN.md, task lifecycle):
 * - no desired task: every container of the uid is stopped and removed
 *   (no task claims it, or its task is now bound elsewhere);
 * - the task is to stop (assignment gone, desiredState Killed, someone set
 *   Lost): a drained kill (desiredState Killed with drainSeconds, the
 *   services loop's) first leaves the container running until the drain is
 *   over; then stop with grace; report Killed unless the status is terminal;
 *   remove the container unless the assignment is still there (its logs
 *   stay readable until the task goes);
 * - the status is terminal: never start again; a container still running
 *   against a terminal status is stopped;
 * - one running container: adopt it (report Running if the status says
 *   otherwise); exited: report how it exited; created but never started:
 *   remove it and start anew; none: start, unless the status says it was
 *   Running (then it vanished: report it, do not restart — the services
 *   loop replaces tasks, the agent never does).
 * - extra containers of the same uid are removed (keep the running one, or
 *   the one the status names, or the newest).
 * - a late 'oom': Docker may handle a container's OOM after its exit, so the
 *   exit was reported Failed {reason Error, exitCode 137}; once the 'oom'
 *   event arrives the reason is corrected to OOMKilled (lateOOM). Nothing
 *   waits for it at the exit: a `docker kill` is reported at once.
 */
import { TERMINAL_STATES, type Task, type TaskStatus } from '../../api/types.js';
import type { ContainerInfo } from '../runtime/runtime.js';

export interface DesiredTask {
  uid: string;
  task: Task;
  /** As last known: etcd's status with the agent's unwritten changes on top. */
  status: TaskStatus;
  /** False once the assignment key is deleted. */
  assigned: boolean;
  /** A drained kill (spec.drainSeconds): how long the container still keeps running; 0 or absent = stop now. */
  drainLeftMs?: number;
}

export type Action =
  | { kind: 'start' }
  | { kind: 'adopt'; id: string }
  | { kind: 'report'; id: string }
  | { kind: 'drain'; id: string; ms: number }
  | { kind: 'kill'; id: string; remove: boolean; report: boolean }
  | { kind: 'remove'; id: string; running: boolean }
  | { kind: 'reportKilled' }
  | { kind: 'reportMissing'; id?: string }
  | { kind: 'lateOOM'; id: string; patch: Partial<TaskStatus> };

export const DEFAULT_KILL_GRACE_SECONDS = 10;

export function compute(d: DesiredTask | undefined, containers: ContainerInfo[]): Action[] {
  if (!d) return containers.map((c) => ({ kind: 'remove', id: c.id, running: c.phase !== 'exited' }));
  const actions: Action[] = [];
  const primary = pickPrimary(containers, d.status.containerId);
  const late = oomCorrection(d.status, containers.find((c) => c.id === d.status.containerId), d.task.spec.resources.mem);
  if (late) actions.push({ kind: 'lateOOM', id: d.status.containerId!, patch: late });
  for (const c of containers) if (c !== primary) actions.push({ kind: 'remove', id: c.id, running: c.phase !== 'exited' });

  // While its node was NotReady the task was Unreachable: the agent goes on from the state it had.
  const state = d.status.state === 'Unreachable' ? (d.status.stateBeforeUnreachable ?? 'Running') : d.status.state;
  const terminal = TERMINAL_STATES.has(state);
  const lost = state === 'Lost';
  const stop = !d.assigned || lost || d.task.spec.desiredState === 'Killed';
  const removeAfter = !d.assigned || lost;

  if (stop) {
    if (!primary) {
      if (!terminal) actions.push({ kind: 'reportKilled' });
    } else if (primary.phase === 'exited') {
      // It ended by itself before the stop: say how, then clean up.
      if (!terminal) actions.push({ kind: 'report', id: primary.id });
      if (removeAfter) actions.push({ kind: 'remove', id: primary.id, running: false });
    } else if ((d.drainLeftMs ?? 0) > 0 && d.assigned && !lost) {
      // out of endpoints already: running on while open connections finish
      actions.push({ kind: 'drain', id: primary.id, ms: d.drainLeftMs! });
    } else {
      actions.push({ kind: 'kill', id: primary.id, remove: removeAfter, report: !terminal });
    }
    return actions;
  }

  if (terminal) {
    if (primary && primary.phase !== 'exited') actions.push({ kind: 'kill', id: primary.id, remove: false, report: false });
    return actions;
  }

  if (!primary) {
    if (state === 'Running') actions.push({ kind: 'reportMissing', ...(d.status.containerId ? { id: d.status.containerId } : {}) });
    else actions.push({ kind: 'start' });
    return actions;
  }
  switch (primary.phase) {
    case 'running':
      if (d.status.state !== 'Running' || d.status.containerId !== primary.id) actions.push({ kind: 'adopt', id: primary.id });
      break;
    case 'exited':
      actions.push({ kind: 'report', id: primary.id });
      break;
    case 'created':
      actions.push({ kind: 'remove', id: primary.id, running: false }, { kind: 'start' });
      break;
  }
  return actions;
}

/** The container that stands for the task: running first, then the one the status names, then the newest. */
function pickPrimary(cs: ContainerInfo[], statusId: string | undefined): ContainerInfo | undefined {
  if (cs.length <= 1) return cs[0];
  const rank = (c: ContainerInfo) => (c.phase === 'running' ? 2 : 0) + (c.id === statusId ? 1 : 0);
  return [...cs].sort((a, b) => rank(b) - rank(a) || (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0];
}

/** The status patch that says how an exited container ended. */
export function exitPatch(c: ContainerInfo, memMiB: number | undefined, now: Date): Partial<TaskStatus> {
  const base: Partial<TaskStatus> = {
    containerId: c.id,
    finishedAt: c.finishedAt ?? now.toISOString(),
    ...(c.startedAt ? { startedAt: c.startedAt } : {}),
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
  };
  const code = c.exitCode ?? -1;
  if (c.killed) return { ...base, state: 'Killed', reason: 'Killed', message: 'stopped by the agent' };
  if (c.oomKilled) return { ...base, state: 'Failed', reason: 'OOMKilled', message: oomMessage(memMiB) };
  if (code === 0) return { ...base, state: 'Succeeded', reason: 'Completed', message: undefined };
  const sig = code > 128 && code < 160 ? ` (signal ${code - 128}${SIGNALS[code - 128] ? `, ${SIGNALS[code - 128]}` : ''})` : '';
  return { ...base, state: 'Failed', reason: 'Error', message: c.error ?? `exited with code ${code}${sig}` };
}

/**
 * The correction of an exit reported before its 'oom' event arrived: the
 * status says Failed {reason Error, exitCode 137} of container c, and c is now
 * known to have been OOM-killed. Undefined when there is nothing to correct
 * (another container, another reason or code, or no OOM known).
 */
export function oomCorrection(status: TaskStatus, c: ContainerInfo | undefined, memMiB: number | undefined): Partial<TaskStatus> | undefined {
  if (!c?.oomKilled || c.id !== status.containerId) return undefined;
  if (status.state !== 'Failed' || status.reason !== 'Error' || status.exitCode !== 137) return undefined;
  return { reason: 'OOMKilled', message: oomMessage(memMiB) };
}

const oomMessage = (memMiB: number | undefined) => `killed by the kernel: out of memory (limit${memMiB !== undefined ? ` of ${memMiB} MiB` : ''})`;

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 15: 'SIGTERM' };
