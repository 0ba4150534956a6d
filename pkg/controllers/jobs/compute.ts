/**
 * The job timers loop's decision for one Job, pure: the job, its runs, the
 * state of its parents and the time in; the runs to create (and the records
 * of slots that do not run), the runs to stop, the old runs to delete, the
 * status, and when to look again out.
 *
 *   schedule ──► slots in (lastScheduleTime, now] ─┬─ suspended ─────────────► Skipped  Suspended
 *                                                  ├─ past startingDeadline ──► Missed   StartingDeadlineExceeded
 *                                                  ├─ older than the window ──► Missed   OutsideCatchUpWindow
 *                                                  ├─ in the window, late, not
 *                                                  │   the one catch-up runs ───► Missed   LeaderDown
 *                                                  └─ due ─► concurrency policy:
 *                                                       Allow: run   Forbid: Skipped Overlap
 *                                                       Replace: stop the active runs, run
 *                                                       BufferOne: wait for the active run (one slot), Skipped Overlap
 *   no schedule, no parents ──► one run at creation (RUN_ONCE)
 *   parents ──► once the trigger rule holds for a new set of parent runs: one run for that set
 *   requeue ──► at the next slot (a timer, not a poll)
 *
 * Every run is created under a deterministic name (pkg/api/jobs.ts) only if
 * absent, and lastScheduleTime moves only once the runs before it exist, so
 * a slot is run or recorded exactly once whatever fails when. A long outage
 * does not flood etcd: past MAX_RECORDS slots at once, the older ones are
 * counted in status.missed without a record each.
 */
import type { CatchUp, Condition, Job, JobRun, JobRunState, JobStatus } from '../../api/types.js';
import { CATCH_UP_DEFAULTS } from '../../api/defaults.js';
import { newJobRun, parentsRunName, slotRunName, type ObjectRef } from '../../api/jobs.js';
import { nextSlots, slotsBetween, type SlotSource } from '../../api/slots.js';

/** Slots looked at in one pass; more are handled in the next pass (at once). */
export const MAX_SLOTS_PER_PASS = 10_000;
/** Records (Missed/Skipped) created in one pass; older slots of an outage are counted only. */
export const MAX_RECORDS = 100;
/** With catch-up mode none, a slot still counts as on time this late. */
export const ON_TIME_MS = 1000;
export const NEXT_RUN_TIMES = 5;
/** An ended run is kept at least this long, whatever the history limits. */
export const HISTORY_GRACE_MS = 60_000;

export const ENDED: ReadonlySet<JobRunState> = new Set(['Succeeded', 'Failed', 'Missed', 'Skipped']);
export const isActive = (r: JobRun): boolean => !ENDED.has(r.status?.state ?? 'Pending');
export const isRecord = (r: JobRun): boolean => r.status?.state === 'Missed' || r.status?.state === 'Skipped';

/** A parent of a dependent job, as the runner found it. */
export type ParentState =
  | { ref: ObjectRef; found: false }
  /** A job parent: its newest run that ended after the child was created, if any. */
  | { ref: ObjectRef & { kind: 'job' }; found: true; lastEnded?: { name: string; state: JobRunState } }
  /** A service parent: ready or not, and why. */
  | { ref: ObjectRef & { kind: 'service' }; found: true; ready: boolean; detail: string };

export interface JobInput {
  job: Job;
  /** Its runs (same job uid), records included. */
  runs: readonly JobRun[];
  parents: readonly ParentState[];
  now: number;
}

export interface NotRun {
  slot: Date;
  state: 'Missed' | 'Skipped';
  reason: string;
}

export interface JobPlan {
  /** Runs and records to create (create-if-absent). */
  create: JobRun[];
  /** Active runs to stop (Replace). */
  stop: JobRun[];
  /** Ended runs and records past the history limits. */
  remove: JobRun[];
  status: JobStatus;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  requeueAfterMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (s: string | undefined) => (s ? Date.parse(s) : NaN);

export function sourceOf(job: Job): SlotSource | undefined {
  const s = job.spec.schedule;
  if (s === undefined || (Array.isArray(s) && s.length === 0)) return undefined;
  return { schedule: s, timeZone: job.spec.timeZone, dstPolicy: job.spec.dstPolicy, createdAt: job.metadata.creationTimestamp ? new Date(job.metadata.creationTimestamp) : undefined };
}

export function computeJob(input: JobInput): JobPlan {
  const { job, runs, now } = input;
  const prev = job.status ?? {};
  const plan: JobPlan = { create: [], stop: [], remove: [], status: { ...prev }, events: [] };
  const src = sourceOf(job);
  const known = new Set(runs.map((r) => r.metadata.name));
  const active = runs.filter(isActive);
  const wake: number[] = [];
  let missed = prev.missed ?? 0;
  let skipped = prev.skipped ?? 0;
  const conditions: Condition[] = [];

  const create = (r: JobRun) => {
    if (known.has(r.metadata.name)) return;
    known.add(r.metadata.name);
    plan.create.push(r);
  };
  const recorded: NotRun[] = [];
  const record = (n: NotRun) => {
    if (n.state === 'Missed') missed++;
    else skipped++;
    if (!known.has(slotRunName(job.metadata.name, n.slot))) recorded.push(n);
    create(newJobRun(job, { name: slotRunName(job.metadata.name, n.slot), trigger: 'schedule', slot: n.slot, record: { state: n.state, reason: n.reason, message: notRunMessage(n) } }));
  };

  if (src) {
    const cursor = ms(prev.lastScheduleTime) || ms(job.metadata.creationTimestamp) || now;
    const due = slotsBetween(src, new Date(cursor), new Date(now), MAX_SLOTS_PER_PASS + 1);
    const more = due.length > MAX_SLOTS_PER_PASS;
    if (more) due.length = MAX_SLOTS_PER_PASS;
    const decided = decideSlots(due.map((d) => d.getTime()), { job, now, activeCount: active.length, buffered: prev.buffered });
    // A long outage: the oldest of what does not run is counted, the newest recorded.
    const notRun = decided.notRun;
    const counted = notRun.length > MAX_RECORDS ? notRun.slice(0, notRun.length - MAX_RECORDS) : [];
    for (const n of counted) {
      if (n.state === 'Missed') missed++;
      else skipped++;
    }
    if (counted.length > 0) {
      plan.events.push({ type: 'Warning', reason: 'SlotsMissed', message: `${counted.length} slot(s) from ${counted[0]!.slot.toISOString()} to ${counted[counted.length - 1]!.slot.toISOString()} did not run (${countReasons(counted)}); only the newest ${MAX_RECORDS} have records` });
    }
    for (const n of notRun.slice(counted.length)) record(n);
    for (const slot of decided.run) {
      create(newJobRun(job, { name: slotRunName(job.metadata.name, slot), trigger: 'schedule', slot: new Date(slot) }));
    }
    if (decided.replace) for (const r of active) if (r.spec.desiredState !== 'Killed') plan.stop.push(r);
    plan.status.buffered = decided.buffered === undefined ? undefined : iso(decided.buffered);
    if (due.length > 0) plan.status.lastScheduleTime = iso(due[due.length - 1]!.getTime());
    const next = nextSlots(src, new Date(Math.max(now, cursor)), NEXT_RUN_TIMES);
    plan.status.nextRunTimes = next.map((d) => d.toISOString());
    if (more) wake.push(now);
    else if (next[0]) wake.push(next[0].getTime());
    if (job.spec.suspend) conditions.push({ type: 'Suspended', status: 'True', reason: 'Suspended', message: job.spec.suspendNote ?? 'suspended' });
  } else if (!job.spec.parents?.length) {
    // RUN_ONCE: one run, for the job's creation; a new template does not run it again.
    plan.status.nextRunTimes = undefined;
    if (prev.lastScheduleTime === undefined) {
      const at = ms(job.metadata.creationTimestamp) || now;
      if (!job.spec.suspend) {
        create(newJobRun(job, { name: slotRunName(job.metadata.name, at), trigger: 'once' }));
        plan.status.lastScheduleTime = iso(at);
      }
    }
  } else {
    plan.status.nextRunTimes = undefined;
    const t = triggered(job, input.parents);
    conditions.push(t.condition);
    if (t.runFor && !job.spec.suspend) {
      create(newJobRun(job, { name: parentsRunName(job.metadata.name, t.runFor), trigger: 'parents', triggeredBy: t.runFor }));
    }
  }

  // History: ended runs past their limits go, once they are a minute old.
  const history = pastHistory(job, runs, now);
  plan.remove = history.remove;
  if (history.wakeAt !== undefined) wake.push(history.wakeAt);

  // What the runs say.
  const ended = runs.filter((r) => !isActive(r) && !isRecord(r) && r.status?.finishedAt);
  const newest = (state: JobRunState) =>
    ended.filter((r) => r.status!.state === state).reduce<string | undefined>((m, r) => (!m || r.status!.finishedAt! > m ? r.status!.finishedAt : m), undefined);
  plan.status.lastSuccessfulTime = newest('Succeeded') ?? prev.lastSuccessfulTime;
  plan.status.lastFailureTime = newest('Failed') ?? prev.lastFailureTime;
  const last = ended.reduce<JobRun | undefined>((m, r) => (!m || r.status!.finishedAt! > m.status!.finishedAt! ? r : m), undefined);
  plan.status.lastRun = last ? { name: last.metadata.name, state: last.status!.state, at: last.status!.finishedAt! } : prev.lastRun;
  const stopping = new Set(plan.stop);
  plan.status.active = [...active.filter((r) => !stopping.has(r)).map((r) => r.metadata.name), ...plan.create.filter(isActive).map((r) => r.metadata.name)].sort();
  if (plan.status.active.length === 0) plan.status.active = undefined;
  plan.status.missed = missed || undefined;
  plan.status.skipped = skipped || undefined;
  plan.status.conditions = withTransitions(conditions, prev.conditions, iso(now));
  if (plan.status.conditions.length === 0) plan.status.conditions = undefined;
  if (job.metadata.generation !== undefined) plan.status.observedGeneration = job.metadata.generation;

  for (const r of plan.create) {
    if (isRecord(r)) continue;
    plan.events.push({ type: 'Normal', reason: 'RunCreated', message: `run ${r.metadata.name}${r.spec.slot ? ` for ${r.spec.slot}` : ''} (${r.spec.trigger})` });
  }
  // A Warning per pass for the slots that got a Missed or Skipped record (a
  // series on the job: its count goes up with each pass that records some).
  for (const state of ['Missed', 'Skipped'] as const) {
    const ns = recorded.filter((n) => n.state === state);
    if (ns.length === 0) continue;
    const message = ns.length === 1
      ? `slot ${ns[0]!.slot.toISOString()} did not run (${ns[0]!.reason}): ${notRunMessage(ns[0]!)}`
      : `${ns.length} slot(s) from ${ns[0]!.slot.toISOString()} to ${ns[ns.length - 1]!.slot.toISOString()} did not run (${countReasons(ns)})`;
    plan.events.push({ type: 'Warning', reason: state === 'Missed' ? 'SlotMissed' : 'SlotSkipped', message });
  }
  for (const r of plan.stop) plan.events.push({ type: 'Normal', reason: 'RunReplaced', message: `stopping run ${r.metadata.name}: a new slot is due (concurrencyPolicy Replace)` });
  const soonest = wake.length ? Math.min(...wake) : undefined;
  if (soonest !== undefined) plan.requeueAfterMs = Math.max(0, soonest - now);
  return plan;
}

interface SlotContext {
  job: Job;
  now: number;
  activeCount: number;
  buffered?: string;
}

/**
 * Which of the due slots (oldest first) run, and why the others do not.
 * Pure and total: every slot is either in `run` or in `notRun`, once.
 */
export function decideSlots(due: readonly number[], c: SlotContext): { run: number[]; notRun: NotRun[]; replace: boolean; buffered?: number } {
  const spec = c.job.spec;
  const catchUp: CatchUp = { ...CATCH_UP_DEFAULTS, ...(spec.catchUp ?? {}) };
  const notRun: NotRun[] = [];
  const candidates: number[] = [];
  for (const s of due) {
    const late = c.now - s;
    if (spec.suspend) notRun.push({ slot: new Date(s), state: 'Skipped', reason: 'Suspended' });
    else if (spec.startingDeadlineSeconds !== undefined && late > spec.startingDeadlineSeconds * 1000) notRun.push({ slot: new Date(s), state: 'Missed', reason: 'StartingDeadlineExceeded' });
    else if (late > catchUp.windowSeconds * 1000 && late > ON_TIME_MS) notRun.push({ slot: new Date(s), state: 'Missed', reason: 'OutsideCatchUpWindow' });
    else candidates.push(s);
  }
  // Inside the window: on time, or caught up as the mode says.
  let chosen: number[];
  if (catchUp.mode === 'all') chosen = candidates;
  else if (catchUp.mode === 'latest') chosen = candidates.slice(-1);
  else chosen = candidates.filter((s) => c.now - s <= ON_TIME_MS).slice(-1);
  const chosenSet = new Set(chosen);
  for (const s of candidates) if (!chosenSet.has(s)) notRun.push({ slot: new Date(s), state: 'Missed', reason: 'LeaderDown' });

  // Overlap: what is active, and what this pass starts, against the policy.
  const run: number[] = [];
  let replace = false;
  let buffered = c.buffered ? Date.parse(c.buffered) : undefined;
  let busy = c.activeCount > 0;
  // BufferOne: the slot that waited runs first, once nothing is active
  if (spec.concurrencyPolicy === 'BufferOne' && buffered !== undefined && !busy && !spec.suspend) {
    run.push(buffered);
    buffered = undefined;
    busy = true;
  }
  for (const s of chosen) {
    switch (spec.concurrencyPolicy) {
      case 'Forbid':
        if (busy) notRun.push({ slot: new Date(s), state: 'Skipped', reason: 'Overlap' });
        else run.push(s);
        break;
      case 'Replace':
        if (busy) {
          replace = true;
          // a slot this pass started is replaced by the next one before it began
          for (const r of run.splice(0)) notRun.push({ slot: new Date(r), state: 'Skipped', reason: 'Overlap' });
        }
        run.push(s);
        break;
      case 'BufferOne':
        if (!busy) run.push(s);
        else if (buffered === undefined) buffered = s;
        else notRun.push({ slot: new Date(s), state: 'Skipped', reason: 'Overlap' });
        break;
      default:
        run.push(s);
    }
    busy = true;
  }
  notRun.sort((a, b) => a.slot.getTime() - b.slot.getTime());
  return { run, notRun, replace, ...(buffered !== undefined ? { buffered } : {}) };
}

/** The parent runs a dependent job runs for now, if its trigger rule holds for a set it has not run for. */
function triggered(job: Job, parents: readonly ParentState[]): { runFor?: string[]; condition: Condition } {
  const waiting: string[] = [];
  const set: string[] = [];
  const states: JobRunState[] = [];
  for (const p of parents) {
    const ref = `${p.ref.kind}/${p.ref.name}`;
    if (!p.found) waiting.push(`${ref} not found`);
    else if (p.ref.kind === 'service') {
      if (!('ready' in p) || !p.ready) waiting.push('detail' in p ? p.detail : `${ref} not ready`);
    } else {
      if (!('lastEnded' in p) || !p.lastEnded) waiting.push(`${ref} has not run since this job was created`);
      else {
        set.push(p.lastEnded.name);
        states.push(p.lastEnded.state);
      }
    }
  }
  const rule = job.spec.triggerRule ?? 'allSucceeded';
  const jobParents = parents.filter((p) => p.ref.kind === 'job').length;
  let holds = waiting.length === 0;
  if (holds && rule === 'allSucceeded') holds = states.every((s) => s === 'Succeeded');
  if (holds && rule === 'oneFailed') holds = states.some((s) => s === 'Failed');
  const condition: Condition = holds
    ? { type: 'ParentsReady', status: 'True', reason: 'TriggerRuleHolds', message: set.length ? `runs after ${set.join(', ')}` : 'every parent is ready' }
    : {
        type: 'ParentsReady',
        status: 'False',
        reason: waiting.some((w) => w.endsWith('not found')) ? 'ParentNotFound' : 'Waiting',
        message: waiting.length ? waiting.join('; ') : `trigger rule ${rule} does not hold: ${parents.filter((p) => 'lastEnded' in p && p.lastEnded).map((p) => `${p.ref.name} ${(p as { lastEnded: { state: string } }).lastEnded.state}`).join(', ')}`,
      };
  if (!holds) return { condition };
  // services only: one run, once they are ready (the empty set)
  if (jobParents === 0) return { runFor: [], condition };
  return { runFor: set, condition };
}

/**
 * Ended runs past the job's history limits, newest kept first (by slot, else
 * creation): `remove` those that ended over HISTORY_GRACE_MS ago, and
 * `wakeAt` when the next of the others does. A run that just ended stays a
 * while whatever the limits, so a job every 2 s still shows its last minute
 * of runs, and its history is trimmed in batches rather than one delete per slot.
 */
export function pastHistory(job: Job, runs: readonly JobRun[], now: number): { remove: JobRun[]; wakeAt?: number } {
  const at = (r: JobRun) => ms(r.spec.slot) || ms(r.metadata.creationTimestamp) || 0;
  const endedAt = (r: JobRun) => ms(r.status?.finishedAt) || ms(r.metadata.creationTimestamp) || 0;
  const byAge = [...runs].sort((a, b) => at(b) - at(a));
  const excess = (pred: (r: JobRun) => boolean, limit: number) => byAge.filter(pred).slice(limit);
  const over = [
    ...excess((r) => r.status?.state === 'Succeeded', job.spec.successfulRunsHistoryLimit ?? 3),
    ...excess((r) => r.status?.state === 'Failed', job.spec.failedRunsHistoryLimit ?? 1),
    ...excess(isRecord, job.spec.missedRunsHistoryLimit ?? 10),
  ];
  const remove = over.filter((r) => now - endedAt(r) >= HISTORY_GRACE_MS);
  const waiting = over.filter((r) => now - endedAt(r) < HISTORY_GRACE_MS).map((r) => endedAt(r) + HISTORY_GRACE_MS);
  return { remove, ...(waiting.length ? { wakeAt: Math.min(...waiting) } : {}) };
}

function notRunMessage(n: NotRun): string {
  switch (n.reason) {
    case 'Suspended':
      return 'the job was suspended';
    case 'Overlap':
      return 'a run was still active (concurrencyPolicy)';
    case 'OutsideCatchUpWindow':
      return 'no leader ran it in time and it is older than the catch-up window';
    case 'LeaderDown':
      return 'no leader ran it in time; catch-up ran a newer slot instead';
    case 'StartingDeadlineExceeded':
      return 'it could not start within startingDeadlineSeconds';
    default:
      return n.reason;
  }
}

function countReasons(ns: readonly NotRun[]): string {
  const c = new Map<string, number>();
  for (const n of ns) c.set(`${n.state} ${n.reason}`, (c.get(`${n.state} ${n.reason}`) ?? 0) + 1);
  return [...c].map(([k, v]) => `${v} ${k}`).join(', ');
}

function withTransitions(next: Condition[], prev: readonly Condition[] | undefined, now: string): Condition[] {
  return next.map((c) => {
    const old = prev?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}
