/**
 * `stowctl describe job|jobrun`: a job's schedule in words with its time
 * zone and DST policy, its run settings, the next fire times, its parents
 * and children, its recent runs and its Missed/Skipped records; a run's
 * job, trigger, slot, state and attempts.
 */
import { isoInstant } from '../../api/instant.js';
import { parseRef } from '../../api/jobs.js';
import { slotSourceOf } from '../../api/job-requests.js';
import { describeSchedule, nextSlots } from '../../api/slots.js';
import type { CatchUp, DstPolicy, Job, JobRun } from '../../api/types.js';
import { age } from './age.js';
import { conditions, section, template, when } from './describe-parts.js';
import { indent, mapLines } from './fields.js';
import { jobSchedule, runDuration, runSlot, runState, seconds, untilTime } from './jobs.js';
import { renderTable } from './table.js';

/** How many runs, and records, describe lists. */
export const RECENT_RUNS = 10;
const NEXT_RUNS = 5;
const RECORDS = new Set(['Missed', 'Skipped']);

const secs = (n: number | undefined) => (n === undefined ? undefined : `${n}s`);

function dstPolicy(p: DstPolicy | undefined): string {
  const gap = p?.gap ?? 'next';
  const overlap = p?.overlap ?? 'once';
  const inGap = gap === 'next' ? 'runs just after it' : 'does not run';
  const inOverlap = overlap === 'once' ? 'runs once' : 'runs at both instants';
  return `gap=${gap}, overlap=${overlap} (a slot in the spring gap ${inGap}; one in the repeated autumn hour ${inOverlap})`;
}

/** Wall-clock schedules (cron) meet daylight saving; an ISO 8601 interval does not. */
const isCron = (s: string | string[] | undefined): boolean => !(typeof s === 'string' && s.trim().startsWith('R'));

function catchUp(c: CatchUp | undefined): string | undefined {
  if (!c) return undefined;
  switch (c.mode) {
    case 'latest': return `latest (after downtime, the newest slot missed within ${c.windowSeconds}s runs)`;
    case 'all': return `all (after downtime, every slot missed within ${c.windowSeconds}s runs)`;
    default: return 'none (slots missed during downtime are recorded Missed)';
  }
}

function retries(j: Job): string {
  const n = j.spec?.retries ?? 0;
  if (n === 0) return '0';
  return `${n} (backoff ${j.spec.retryBackoffSeconds ?? 1}s, doubling up to 5m)`;
}

function historyLimits(j: Job): string | undefined {
  const s = j.spec;
  const parts = [
    s?.successfulRunsHistoryLimit !== undefined ? `${s.successfulRunsHistoryLimit} succeeded` : '',
    s?.failedRunsHistoryLimit !== undefined ? `${s.failedRunsHistoryLimit} failed` : '',
    s?.missedRunsHistoryLimit !== undefined ? `${s.missedRunsHistoryLimit} missed or skipped` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

/** The next fire times: the loop's (status.nextRunTimes), else computed here from the schedule. */
function nextRuns(j: Job, now: Date): string {
  if (j.spec?.suspend) return '<none> (suspended)';
  const src = slotSourceOf(j);
  if (!src) return j.spec?.parents?.length ? '<none> (it runs after its parents)' : '<none>';
  let times = j.status?.nextRunTimes ?? [];
  let note = '';
  if (times.length === 0) {
    try {
      times = nextSlots(src, now, NEXT_RUNS).map((d) => d.toISOString());
      note = ' (computed here)';
    } catch {
      return '<none>';
    }
  }
  if (times.length === 0) return '<none> (the schedule has no more slots)';
  return times.slice(0, NEXT_RUNS).map((t, i) => `${isoInstant(new Date(t))} (${untilTime(t, now)})${i === 0 ? note : ''}`).join('\n');
}

/** Jobs of the namespace that name this one among their parents. */
export function childrenOf(j: Job, jobs: readonly Job[]): string[] {
  return jobs
    .filter((c) => (c.spec?.parents ?? []).some((p) => {
      const r = parseRef(p, 'job');
      return r.kind === 'job' && r.name === j.metadata.name;
    }))
    .map((c) => c.metadata.name)
    .sort();
}

/** Newest first: by creation, then by name (a backfill creates many at once, named by slot). */
const newestFirst = (a: JobRun, b: JobRun) =>
  (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || b.metadata.name.localeCompare(a.metadata.name);

function recentRuns(runs: JobRun[], now: Date): string {
  const ran = runs.filter((r) => !RECORDS.has(runState(r))).sort(newestFirst);
  if (ran.length === 0) return 'Recent Runs:  <none>\n';
  const rows = ran.slice(0, RECENT_RUNS).map((r) => [
    r.metadata.name, runState(r), runSlot(r), seconds(r.status?.lateness), runDuration(r, now), String(r.status?.attempts ?? 0),
  ]);
  const more = ran.length > RECENT_RUNS ? `  (${ran.length - RECENT_RUNS} older: stowctl get jobruns -l stowage/job=NAME)\n` : '';
  return `Recent Runs:\n${indent(renderTable(['NAME', 'STATE', 'SLOT', 'LATENESS', 'DURATION', 'ATTEMPTS'], rows))}${more}`;
}

function records(runs: JobRun[]): string {
  const recs = runs.filter((r) => RECORDS.has(runState(r))).sort(newestFirst);
  if (recs.length === 0) return '';
  const rows = recs.slice(0, RECENT_RUNS).map((r) => [r.metadata.name, runState(r), runSlot(r), r.status?.reason ?? '', (r.status?.message ?? '').replace(/\s*\n\s*/g, ' ')]);
  return `Missed and Skipped:\n${indent(renderTable(['NAME', 'STATE', 'SLOT', 'REASON', 'MESSAGE'], rows))}`;
}

export function describeJob(j: Job, related: { runs?: JobRun[]; jobs?: Job[] }, now: Date): string {
  const s = j.spec;
  const st = j.status;
  const src = slotSourceOf(j);
  let words: string | undefined;
  try {
    words = src ? describeSchedule(src) : undefined;
  } catch {
    words = undefined;
  }
  const last = st?.lastRun;
  return (
    section('Spec', [
      ['Schedule', jobSchedule(j)],
      ['Fires', words],
      ['Time Zone', src ? (s.timeZone ?? 'UTC') : undefined],
      ['DST Policy', src && isCron(s.schedule) ? dstPolicy(s.dstPolicy) : undefined],
      ['Catch-Up', src ? catchUp(s.catchUp) : undefined],
      ['Parents', s?.parents?.length ? s.parents.join(', ') : undefined],
      ['Trigger Rule', s?.parents?.length ? (s.triggerRule ?? 'allSucceeded') : undefined],
      ['Children', related.jobs ? (childrenOf(j, related.jobs).join(', ') || '<none>') : undefined],
      ['Suspend', s?.suspend ? `True${s.suspendNote ? ` (${s.suspendNote})` : ''}` : 'False'],
      ['Concurrency Policy', s?.concurrencyPolicy],
      ['Retries', retries(j)],
      ['Active Deadline', secs(s?.activeDeadlineSeconds)],
      ['Starting Deadline', secs(s?.startingDeadlineSeconds)],
      ['Parallelism', s?.parallelism ?? 1],
      ['Completions', s?.completions ?? 1],
      ['History Limits', historyLimits(j)],
      ...template(s),
    ]) +
    section('Status', [
      ['Last Schedule', when(st?.lastScheduleTime, now)],
      ['Last Successful', when(st?.lastSuccessfulTime, now)],
      ['Last Failure', when(st?.lastFailureTime, now)],
      ['Last Run', last ? `${last.name} ${last.state}, ${age(last.at, now)} ago` : undefined],
      ['Active', st?.active?.length ? st.active.join(', ') : undefined],
      ['Buffered', st?.buffered],
      ['Missed', st?.missed],
      ['Skipped', st?.skipped],
      ['Observed Generation', st?.observedGeneration],
    ]) +
    nextRunsSection(j, now) +
    conditions(st?.conditions) +
    (related.runs ? recentRuns(related.runs, now) + records(related.runs) : '')
  );
}

/** `Next Runs:  <none> (why)`, or one time a line under the title. */
function nextRunsSection(j: Job, now: Date): string {
  const text = nextRuns(j, now);
  return text.startsWith('<') ? `Next Runs:  ${text}\n` : `Next Runs:\n${indent(text)}\n`;
}

export function describeJobRun(r: JobRun, now: Date): string {
  const s = r.spec;
  const st = r.status;
  return (
    section('Spec', [
      ['Job', s?.job],
      ['Trigger', s?.trigger],
      ['Slot', s?.slot],
      ['Triggered By', (st?.triggeredBy ?? s?.triggeredBy)?.join(', ')],
      ['Run Env', s?.env && Object.keys(s.env).length ? mapLines(s.env) : undefined],
      ['Retries', s?.retries],
      ['Retry Backoff', secs(s?.retryBackoffSeconds)],
      ['Active Deadline', secs(s?.activeDeadlineSeconds)],
      ['Parallelism', s?.parallelism],
      ['Completions', s?.completions],
      ['Desired State', s?.desiredState],
      ...template(s?.template),
    ]) +
    section('Status', [
      ['State', runState(r)],
      ['Reason', st?.reason],
      ['Message', st?.message],
      ['Marked Success', st?.markedSuccess ? 'True (it had failed)' : undefined],
      ['Attempts', st?.attempts ?? 0],
      ['Lateness', st?.lateness !== undefined ? seconds(st.lateness) : undefined],
      ['Started', when(st?.startedAt, now)],
      ['Finished', when(st?.finishedAt, now)],
      ['Duration', st?.startedAt ? runDuration(r, now) : undefined],
      ['Retry At', st?.retryAt ? `${st.retryAt} (${untilTime(st.retryAt, now)})` : undefined],
      ['Tasks', st?.tasks?.length ? `${st.tasks.join(', ')} (newest last)` : undefined],
    ])
  );
}
