/** Jobs and runs as the server returns them, for the jobs printer tests. */
import type { Job, JobRun, JobRunState } from '../../api/types.js';
import { NOW } from './fixtures.js';

const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const meta = (name: string, ageS: number, labels?: Record<string, string>) => ({
  name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '42', generation: 1, creationTimestamp: at(-ageS), ...(labels ? { labels } : {}),
});
const template = { image: 'localhost/stowage-busybox:1', command: ['/bin/sh', '-c', 'echo done'], resources: { cpus: 0.1, mem: 16, disk: 0 } };

export const jobs: Job[] = [
  {
    apiVersion: 'stowage/v1', kind: 'Job', metadata: meta('report', 3600),
    spec: {
      ...template, schedule: '*/2 * * * * *', timeZone: 'Europe/Berlin', dstPolicy: { gap: 'next', overlap: 'once' },
      catchUp: { windowSeconds: 3600, mode: 'latest' }, retries: 2, retryBackoffSeconds: 1, concurrencyPolicy: 'Forbid',
      activeDeadlineSeconds: 60, startingDeadlineSeconds: 10, successfulRunsHistoryLimit: 3, failedRunsHistoryLimit: 1,
    },
    status: {
      lastScheduleTime: at(-2), lastSuccessfulTime: at(-4), lastFailureTime: at(-600), active: ['report-1767268798'], missed: 1, skipped: 1,
      lastRun: { name: 'report-1767268796', state: 'Succeeded', at: at(-3) },
      nextRunTimes: [at(2), at(4), at(6), at(8), at(10)],
      conditions: [{ type: 'Scheduled', status: 'True', reason: 'OnTime' }],
    },
  },
  {
    apiVersion: 'stowage/v1', kind: 'Job', metadata: meta('nightly', 86400 * 3),
    spec: { ...template, schedule: ['0 2 * * *', '30 14 * * 1-5'], retries: 0, concurrencyPolicy: 'Allow', suspend: true, suspendNote: 'until the migration is done' },
    status: { nextRunTimes: [at(3600 * 14)], lastRun: { name: 'nightly-1767232800', state: 'Failed', at: at(-36000) } },
  },
  {
    apiVersion: 'stowage/v1', kind: 'Job', metadata: meta('load', 600),
    spec: { ...template, parents: ['report', 'service/db'], triggerRule: 'allSucceeded', retries: 0, concurrencyPolicy: 'Allow', parallelism: 3, completions: 6 },
    status: {},
  },
  {
    apiVersion: 'stowage/v1', kind: 'Job', metadata: meta('hourly', 7200),
    spec: { ...template, schedule: '0 * * * *', retries: 0, concurrencyPolicy: 'Replace' },
    status: { nextRunTimes: [at(-5)] },
  },
];

const run = (name: string, ageS: number, state: JobRunState, status: Partial<JobRun['status']> & object = {}, spec: Partial<JobRun['spec']> = {}): JobRun => ({
  apiVersion: 'stowage/v1', kind: 'JobRun', metadata: meta(name, ageS, { 'stowage/job': 'report' }),
  spec: { job: 'report', trigger: 'schedule', template, retries: 2, ...spec },
  status: { state, attempts: 0, ...status },
});

export const runs: JobRun[] = [
  run('report-1767268798', 2, 'Running', { slot: at(-2), attempts: 1, startedAt: at(-1.88), lateness: 0.12, tasks: ['report-1767268798-abcde'] }, { slot: at(-2) }),
  run('report-1767268796', 4, 'Succeeded', {
    slot: at(-4), attempts: 2, startedAt: at(-3.9), finishedAt: at(-3), lateness: 0.1, reason: 'Completed',
    tasks: ['report-1767268796-aaaaa', 'report-1767268796-bbbbb'],
  }, { slot: at(-4), activeDeadlineSeconds: 60, parallelism: 1, completions: 1 }),
  run('report-1767268200', 600, 'Failed', { slot: at(-600), attempts: 3, startedAt: at(-470), finishedAt: at(-400), lateness: 130, reason: 'Error', message: 'exit code 1' }, { slot: at(-600) }),
  run('report-1767268000', 800, 'Missed', { slot: at(-800), reason: 'StartingDeadlineExceeded', message: 'the leader was down\nfor 3 minutes' }, { slot: at(-800) }),
  run('report-1767267900', 900, 'Skipped', { slot: at(-900), reason: 'Overlap', message: 'report-1767267898 was running' }, { slot: at(-900) }),
  run('report-m0123456789', 30, 'Pending', {}, { trigger: 'manual', env: { DAY: '2026-01-01' } }),
];
