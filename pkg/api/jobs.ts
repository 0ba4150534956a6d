/**
 * How Jobs, their runs and their references are named (pure). Every run
 * name is deterministic where a run must happen once, so creating it
 * create-if-absent makes the run exactly-once across failovers and retries:
 *
 *   <job>-<unix seconds of the slot>     a scheduled slot (run, Missed or Skipped), a backfill,
 *                                        `job run --slot T`; RUN_ONCE: the job's creation second
 *   <job>-m<9 hex of sha256(id)>         `job run --id ID` (no id: a random one)
 *   <job>-p<9 hex of sha256(parents)>    a dependent run, for one set of parent runs
 *
 * Every suffix is 11 characters, and a run's tasks are `<run>-<5>`, so a Job
 * name is at most 63 - 6 - 11 = 46 characters.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DNS1123_LABEL_MAX, TASK_SUFFIX_LENGTH } from './names.js';
import { templateOf } from './template.js';
import { API_VERSION, type Job, type JobRun, type JobRunTrigger } from './types.js';

export const JOB_LABEL = 'stowage/job';
export const RUN_SUFFIX_LENGTH = 11;
export const JOB_NAME_MAX = DNS1123_LABEL_MAX - 1 - TASK_SUFFIX_LENGTH - RUN_SUFFIX_LENGTH;

const hash9 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 9);

/** The run (or Missed/Skipped record) of the slot at `slot`. */
export function slotRunName(job: string, slot: Date | number): string {
  const ms = typeof slot === 'number' ? slot : slot.getTime();
  return `${job}-${String(Math.floor(ms / 1000)).padStart(10, '0')}`;
}

/** The slot of a slot run's name, or undefined for other runs. */
export function slotOfRunName(job: string, run: string): Date | undefined {
  const m = /^-(\d{10})$/.exec(run.slice(job.length));
  return run.startsWith(job) && m ? new Date(Number(m[1]) * 1000) : undefined;
}

/** `job run`: the same id always names the same run (a retried request starts one run). */
export function manualRunName(job: string, id?: string): string {
  return `${job}-m${hash9(id ?? randomBytes(16).toString('hex'))}`;
}

/** A dependent run, for one set of parent runs (in any order). */
export function parentsRunName(job: string, parentRuns: readonly string[]): string {
  return `${job}-p${hash9([...parentRuns].sort().join(','))}`;
}

export interface ObjectRef {
  kind: 'job' | 'service';
  name: string;
}

/** `name`, `job/name` or `service/name`; a bare name is `bare`'s kind. */
export function parseRef(ref: string, bare: 'job' | 'service'): ObjectRef {
  const i = ref.indexOf('/');
  if (i < 0) return { kind: bare, name: ref };
  return { kind: ref.slice(0, i) === 'service' ? 'service' : 'job', name: ref.slice(i + 1) };
}

/** `job/name` or `service/name`: one spelling per reference, for graphs and messages. */
export const refKey = (r: ObjectRef): string => `${r.kind}/${r.name}`;

export interface RunOptions {
  name: string;
  trigger: JobRunTrigger;
  slot?: Date;
  env?: Record<string, string>;
  triggeredBy?: readonly string[];
  /** A record of a slot that did not run: its state and why. */
  record?: { state: 'Missed' | 'Skipped'; reason: string; message: string };
}

/**
 * A run of `job` as both the job timers loop and `job run` create it: the
 * job's template and run settings, labelled with the job, owned by its uid.
 * A record (Missed/Skipped) carries its final status from the start.
 */
export function newJobRun(job: Job, o: RunOptions): JobRun {
  const s = job.spec;
  const slot = o.slot?.toISOString();
  return {
    apiVersion: API_VERSION,
    kind: 'JobRun',
    metadata: { name: o.name, namespace: job.metadata.namespace ?? 'default', labels: { [JOB_LABEL]: job.metadata.name } },
    spec: {
      job: job.metadata.name,
      ...(job.metadata.uid ? { jobUid: job.metadata.uid } : {}),
      ...(slot ? { slot } : {}),
      trigger: o.trigger,
      template: templateOf(s),
      retries: s.retries ?? 0,
      ...(s.retryBackoffSeconds !== undefined ? { retryBackoffSeconds: s.retryBackoffSeconds } : {}),
      ...(s.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: s.activeDeadlineSeconds } : {}),
      parallelism: s.parallelism ?? 1,
      completions: s.completions ?? 1,
      ...(o.env && Object.keys(o.env).length ? { env: { ...o.env } } : {}),
      ...(o.triggeredBy?.length ? { triggeredBy: [...o.triggeredBy] } : {}),
      ...(s.sim ? { sim: { ...s.sim } } : {}),
    },
    status: o.record
      ? { state: o.record.state, ...(slot ? { slot } : {}), attempts: 0, reason: o.record.reason, message: o.record.message }
      : { state: 'Pending', ...(slot ? { slot } : {}), attempts: 0, ...(o.triggeredBy?.length ? { triggeredBy: [...o.triggeredBy] } : {}) },
  };
}
