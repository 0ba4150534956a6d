/**
 * A user's writes of JobRuns behind the jobs subresources (served by
 * pkg/server by every server: they are a user's writes, not a loop's).
 * Every run has a deterministic name, so each write is create-if-absent or
 * a compare-and-swap, and a retried request does the same thing, never
 * twice the thing:
 *
 *   manual run   <job>-m<hash of id>   absent ──create──► Pending          present: left as it is
 *   slot run     <job>-<unix seconds>  absent ──create──► Pending (trigger backfill)
 *                                      Missed/Skipped ──CAS spec+status──► Pending (the job's template now)
 *                                      Pending/Running/Succeeded/Failed: left as it is (it ran, or runs)
 *   mark-success                       Failed ──CAS status──► Succeeded, reason MarkedSuccess
 *
 * The job timers loop then drives the Pending runs like the ones it made.
 */
import { ApiError, isApiError } from '../api/errors.js';
import { manualRunName, newJobRun, slotRunName } from '../api/jobs.js';
import { lookupKind } from '../api/kinds.js';
import type { Job, JobRun, JobRunState } from '../api/types.js';
import { Store, type Stored } from './store.js';
import { splitTxns, type Txn } from './txn.js';

const JOBRUN = lookupKind('JobRun')!;

export type RunAction = 'created' | 'restarted' | 'unchanged';

export interface RunOutcome {
  action: RunAction;
  run: JobRun;
}

/** Records of slots that did not run: a user may run them after all. */
export const RECORD_STATES: ReadonlySet<JobRunState> = new Set(['Missed', 'Skipped']);

/** Runs to retry a conflicting write with, re-reading each time. */
const ATTEMPTS = 4;
/** Reads in flight at once when looking up many runs. */
const READ_CONCURRENCY = 64;

const stateOf = (r: JobRun): JobRunState => r.status?.state ?? 'Pending';

/**
 * `job run [--id ID]`: the run named by the id, created if absent. The
 * same id again finds the run the first request made (`unchanged`).
 */
export async function startManualRun(store: Store, job: Job, opts: { id?: string; env?: Record<string, string> } = {}): Promise<RunOutcome> {
  const ns = job.metadata.namespace;
  const name = manualRunName(job.metadata.name, opts.id);
  for (let attempt = 0; ; attempt++) {
    try {
      const run = newJobRun(job, { name, trigger: 'manual', ...(opts.env ? { env: opts.env } : {}) });
      return { action: 'created', run: (await store.create(JOBRUN, run)).object };
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
    }
    const cur = await store.get<JobRun>(JOBRUN, ns, name);
    if (cur) return { action: 'unchanged', run: cur.object };
    // deleted between our create and our read: create it again
    if (attempt >= ATTEMPTS) throw new ApiError('Conflict', `jobrun "${name}" kept being created and deleted meanwhile; try again`);
  }
}

interface SlotWrite {
  slot: Date;
  name: string;
  /** The record being turned into a run; absent: a create. */
  cur?: Stored<JobRun>;
  want: JobRun;
}

/**
 * `job run --slot T` and `job backfill`: each slot's run created, or its
 * Missed/Skipped record turned into a run; a slot that ran or runs is left
 * as it is (`unchanged`, with its state). Outcomes in the order of `slots`.
 * Writes go in as few transactions as etcd's budget allows; one that lost
 * a race (the loop recorded or started that slot meanwhile) is decided
 * again on what is there now.
 */
export async function startSlotRuns(store: Store, job: Job, slots: readonly Date[]): Promise<RunOutcome[]> {
  const ns = job.metadata.namespace;
  const names = slots.map((s) => slotRunName(job.metadata.name, s));
  const done = new Map<number, RunOutcome>();
  for (let attempt = 0; ; attempt++) {
    const todo = slots.map((_, i) => i).filter((i) => !done.has(i));
    if (todo.length === 0) return slots.map((_, i) => done.get(i)!);
    if (attempt >= ATTEMPTS) {
      throw new ApiError('Conflict', `the runs of ${todo.length} slots of job "${job.metadata.name}" kept being changed meanwhile (the first: jobrun "${names[todo[0]!]}"); ${done.size} slots were handled: send the request again`);
    }
    const current = await getMany(store, ns, todo.map((i) => names[i]!));
    const writes: (SlotWrite & { i: number })[] = [];
    todo.forEach((i, j) => {
      const cur = current[j];
      const slot = slots[i]!;
      const name = names[i]!;
      if (cur && !RECORD_STATES.has(stateOf(cur.object))) return void done.set(i, { action: 'unchanged', run: cur.object });
      writes.push({ i, slot, name, cur, want: slotRun(job, name, slot, cur) });
    });
    for (const c of splitTxns(writes, () => store.txn(), addSlotWrite)) {
      const r = await c.txn.commit();
      if (!r.succeeded) continue; // someone wrote one of these runs: read again, decide again
      for (const w of c.items) {
        w.want.metadata.resourceVersion = r.revision;
        done.set(w.i, { action: w.cur ? 'restarted' : 'created', run: w.want });
      }
    }
  }
}

/** The run of `slot` as a backfill makes it: from the job as it is now, Pending. */
function slotRun(job: Job, name: string, slot: Date, cur: Stored<JobRun> | undefined): JobRun {
  const run = newJobRun(job, { name, trigger: 'backfill', slot });
  if (cur) {
    const m = cur.object.metadata;
    run.metadata = { ...m, labels: { ...(m.labels ?? {}), ...(run.metadata.labels ?? {}) } };
  }
  return run;
}

function addSlotWrite(txn: Txn, w: SlotWrite): void {
  if (!w.cur) {
    Store.addCreate(txn, JOBRUN, w.want);
    return;
  }
  // a record becomes a run: its spec (the job's template now) and status, both compared, in one transaction
  Store.carryMeta(JOBRUN, w.want, w.cur);
  Store.addUpdate(txn, JOBRUN, w.want, w.cur.specRev);
  Store.addPutStatus(txn, JOBRUN, w.want.metadata.namespace, w.name, w.want.status, w.cur.statusRev);
}

/** Read runs by name, READ_CONCURRENCY at a time. */
async function getMany(store: Store, ns: string | undefined, names: string[]): Promise<(Stored<JobRun> | undefined)[]> {
  const out: (Stored<JobRun> | undefined)[] = [];
  for (let i = 0; i < names.length; i += READ_CONCURRENCY) {
    out.push(...(await Promise.all(names.slice(i, i + READ_CONCURRENCY).map((n) => store.get<JobRun>(JOBRUN, ns, n)))));
  }
  return out;
}

/**
 * Chronos' mark-success: a Failed run counts as Succeeded (reason
 * MarkedSuccess), so the job's children go on. A Succeeded run is left as
 * it is; any other state is a 409 naming it.
 */
export async function markRunSucceeded(store: Store, namespace: string | undefined, name: string): Promise<{ changed: boolean; run: JobRun }> {
  for (let attempt = 0; ; attempt++) {
    const cur = await store.get<JobRun>(JOBRUN, namespace, name);
    if (!cur) throw new ApiError('NotFound', `jobrun "${name}" not found in namespace "${namespace ?? 'default'}"`);
    const st = cur.object.status;
    const state = stateOf(cur.object);
    if (state === 'Succeeded') return { changed: false, run: cur.object };
    if (state !== 'Failed') {
      const message = `jobrun "${name}" is ${state}: only a Failed run can be marked succeeded`;
      throw new ApiError('Conflict', message, [{ field: 'status.state', rule: 'Failed', message: `is ${state}` }]);
    }
    const was = [st?.reason, st?.message].filter(Boolean).join(': ');
    const status = { ...st!, state: 'Succeeded' as const, reason: 'MarkedSuccess', message: `marked succeeded by a user; it had failed${was ? ` (${was})` : ''}`, markedSuccess: true };
    try {
      await store.putStatus(JOBRUN, namespace, name, status, cur.statusRev);
      return { changed: true, run: { ...cur.object, status } };
    } catch (e) {
      // the loop wrote its status meanwhile (a retry starting?): decide again on what is there now
      if (attempt < ATTEMPTS && isApiError(e, 'Conflict')) continue;
      throw e;
    }
  }
}
