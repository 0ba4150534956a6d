/**
 * How Jobs and JobRuns read in tables (`stowctl get jobs|jobruns`) and in
 * describe: the schedule, the next run, lateness and durations.
 *
 *   get jobs      NAME  SCHEDULE  SUSPEND  ACTIVE  LAST RUN  LAST RESULT  NEXT RUN
 *                 -o wide: TIME ZONE  CONCURRENCY  IMAGE  AGE
 *   get jobruns   NAME  STATE  SLOT  LATENESS  DURATION  ATTEMPTS
 *                 -o wide: JOB  TRIGGER  REASON  AGE
 */
import { isoInstant } from '../../api/instant.js';
import { JOB_LABEL } from '../../api/jobs.js';
import type { AnyResource, Job, JobRun } from '../../api/types.js';
import { age, humanDuration } from './age.js';

const NONE = '<none>';

/** The cron expression or interval, a list joined, or `after a,b` for a job run by its parents. */
export function jobSchedule(j: Job): string {
  if (j.spec?.schedule) return Array.isArray(j.spec.schedule) ? j.spec.schedule.join(' | ') : j.spec.schedule;
  if (j.spec?.parents?.length) return `after ${j.spec.parents.join(',')}`;
  return NONE;
}

/** `0.12s` under a minute, then as ages read (`2m5s`, `3h`). */
export function seconds(s: number | undefined): string {
  if (s === undefined || Number.isNaN(s)) return NONE;
  return Math.abs(s) < 60 ? `${s.toFixed(2)}s` : humanDuration(s * 1000);
}

const ms = (ts: string | undefined): number | undefined => {
  const t = ts ? Date.parse(ts) : NaN;
  return Number.isNaN(t) ? undefined : t;
};

/** finishedAt - startedAt, or the time since startedAt while it runs; <none> before it started. */
export function runDuration(r: JobRun, now: Date): string {
  const start = ms(r.status?.startedAt);
  if (start === undefined) return NONE;
  const end = ms(r.status?.finishedAt) ?? now.getTime();
  return seconds((end - start) / 1000);
}

/** `in 5s` up to a day ahead, then the time itself; `overdue 3s` once past. */
export function untilTime(ts: string | undefined, now: Date): string {
  const t = ms(ts);
  if (t === undefined) return NONE;
  const d = t - now.getTime();
  if (d < 0) return `overdue ${humanDuration(-d)}`;
  return d < 86_400_000 ? `in ${humanDuration(d)}` : isoInstant(new Date(t));
}

export function runSlot(r: JobRun): string {
  const s = r.status?.slot ?? r.spec?.slot;
  const t = ms(s);
  return t === undefined ? NONE : isoInstant(new Date(t));
}

export const runState = (r: JobRun): string => r.status?.state ?? 'Pending';

export const or = (s: string | number | undefined | null, fallback = NONE): string => (s === undefined || s === null || s === '' ? fallback : String(s));

/** The jobs table: what ran last and how, and what runs next. */
export const jobColumns = {
  header: ['NAME', 'SCHEDULE', 'SUSPEND', 'ACTIVE', 'LAST RUN', 'LAST RESULT', 'NEXT RUN'],
  cells: (o: AnyResource, now: Date): string[] => {
    const j = o as Job;
    const last = j.status?.lastRun;
    return [
      j.metadata.name, jobSchedule(j), j.spec?.suspend ? 'True' : 'False', String(j.status?.active?.length ?? 0),
      last ? age(last.at, now) : NONE, or(last?.state),
      j.spec?.suspend ? '<suspended>' : untilTime(j.status?.nextRunTimes?.[0], now),
    ];
  },
  wideHeader: ['TIME ZONE', 'CONCURRENCY', 'IMAGE', 'AGE'],
  wideCells: (o: AnyResource, now: Date): string[] => {
    const j = o as Job;
    return [j.spec?.schedule ? or(j.spec.timeZone, 'UTC') : NONE, or(j.spec?.concurrencyPolicy), or(j.spec?.image), age(j.metadata.creationTimestamp, now)];
  },
};

/** The runs table: when each was due, how late it started, how long it took. */
export const jobRunColumns = {
  header: ['NAME', 'STATE', 'SLOT', 'LATENESS', 'DURATION', 'ATTEMPTS'],
  cells: (o: AnyResource, now: Date): string[] => {
    const r = o as JobRun;
    return [r.metadata.name, runState(r), runSlot(r), seconds(r.status?.lateness), runDuration(r, now), String(r.status?.attempts ?? 0)];
  },
  wideHeader: ['JOB', 'TRIGGER', 'REASON', 'AGE'],
  wideCells: (o: AnyResource, now: Date): string[] => {
    const r = o as JobRun;
    return [or(r.spec?.job ?? r.metadata.labels?.[JOB_LABEL]), or(r.spec?.trigger), or(r.status?.reason), age(r.metadata.creationTimestamp, now)];
  },
};
