import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe } from './describe.js';
import { childrenOf } from './describe-jobs.js';
import { NOW } from './fixtures.js';
import { seconds, untilTime } from './jobs.js';
import { jobs, runs } from './job-fixtures.js';
import { formatObjects } from './output.js';

test('get jobs: schedule (a list joined, parents as after), suspend, active, last run and result, next run', async () => {
  assert.equal(
    await formatObjects(jobs, { kind: 'Job', now: NOW }),
    'NAME      SCHEDULE                    SUSPEND   ACTIVE   LAST RUN   LAST RESULT   NEXT RUN\n' +
    'report    */2 * * * * *               False     1        3s         Succeeded     in 2s\n' +
    'nightly   0 2 * * * | 30 14 * * 1-5   True      0        10h        Failed        <suspended>\n' +
    'load      after report,service/db     False     0        <none>     <none>        <none>\n' +
    'hourly    0 * * * *                   False     0        <none>     <none>        overdue 5s\n',
  );
  const wide = (await formatObjects(jobs, { kind: 'Job', output: 'wide', now: NOW })).split('\n');
  assert.match(wide[0]!, /NEXT RUN +TIME ZONE +CONCURRENCY +IMAGE +AGE$/);
  assert.match(wide[1]!, /in 2s +Europe\/Berlin +Forbid +localhost\/stowage-busybox:1 +60m$/);
  assert.match(wide[3]!, /<none> +<none> +Allow +localhost\/stowage-busybox:1 +10m$/, 'no schedule: no time zone');
});

test('get jobruns: state, slot, lateness, duration (running: so far), attempts; wide adds job, trigger, reason, age', async () => {
  assert.equal(
    await formatObjects(runs, { kind: 'JobRun', now: NOW }),
    'NAME                 STATE       SLOT                   LATENESS   DURATION   ATTEMPTS\n' +
    'report-1767268798    Running     2026-01-01T11:59:58Z   0.12s      1.88s      1\n' +
    'report-1767268796    Succeeded   2026-01-01T11:59:56Z   0.10s      0.90s      2\n' +
    'report-1767268200    Failed      2026-01-01T11:50:00Z   2m10s      70s        3\n' +
    'report-1767268000    Missed      2026-01-01T11:46:40Z   <none>     <none>     0\n' +
    'report-1767267900    Skipped     2026-01-01T11:45:00Z   <none>     <none>     0\n' +
    'report-m0123456789   Pending     <none>                 <none>     <none>     0\n',
  );
  const wide = (await formatObjects(runs, { kind: 'JobRun', output: 'wide', now: NOW })).split('\n');
  assert.match(wide[0]!, /ATTEMPTS +JOB +TRIGGER +REASON +AGE$/);
  assert.match(wide[4]!, /^report-1767268000 .* 0 +report +schedule +StartingDeadlineExceeded +13m$/);
  assert.match(wide[6]!, /^report-m0123456789 .* 0 +report +manual +<none> +30s$/);
});

test('seconds and untilTime', () => {
  assert.deepEqual([0.004, 0.12, 59.994, 60, 130, undefined].map(seconds), ['0.00s', '0.12s', '59.99s', '60s', '2m10s', '<none>']);
  const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
  assert.deepEqual([at(0), at(5), at(86_399), at(86_400), at(-3), undefined, 'x'].map((t) => untilTime(t, NOW)), [
    'in 0s', 'in 5s', 'in 23h', '2026-01-02T12:00:00Z', 'overdue 3s', '<none>', '<none>',
  ]);
});

test('describe job: the schedule, zone and DST policy, settings, next runs, children, recent runs, missed and skipped, conditions', () => {
  assert.equal(
    describe(jobs[0]!, { runs, jobs, events: [] }, NOW),
    `Name:              report
Namespace:         default
Kind:              Job
Labels:            <none>
UID:               uid-report
Resource Version:  42
Generation:        1
Created:           2026-01-01T11:00:00.000Z (60m ago)
Spec:
  Schedule:            */2 * * * * *
  Fires:               every 2 seconds (Europe/Berlin)
  Time Zone:           Europe/Berlin
  DST Policy:          gap=next, overlap=once (a slot in the spring gap runs just after it; one in the repeated autumn hour runs once)
  Catch-Up:            latest (after downtime, the newest slot missed within 3600s runs)
  Children:            load
  Suspend:             False
  Concurrency Policy:  Forbid
  Retries:             2 (backoff 1s, doubling up to 5m)
  Active Deadline:     60s
  Starting Deadline:   10s
  Parallelism:         1
  Completions:         1
  History Limits:      3 succeeded, 1 failed
  Image:               localhost/stowage-busybox:1
  Command:             /bin/sh -c 'echo done'
  Resources:           cpus=0.1 mem=16 disk=0
Status:
  Last Schedule:    2026-01-01T11:59:58.000Z (2s ago)
  Last Successful:  2026-01-01T11:59:56.000Z (4s ago)
  Last Failure:     2026-01-01T11:50:00.000Z (10m ago)
  Last Run:         report-1767268796 Succeeded, 3s ago
  Active:           report-1767268798
  Missed:           1
  Skipped:          1
Next Runs:
  2026-01-01T12:00:02Z (in 2s)
  2026-01-01T12:00:04Z (in 4s)
  2026-01-01T12:00:06Z (in 6s)
  2026-01-01T12:00:08Z (in 8s)
  2026-01-01T12:00:10Z (in 10s)
Conditions:
  TYPE        STATUS   REASON   MESSAGE   LAST TRANSITION
  Scheduled   True     OnTime
Recent Runs:
  NAME                 STATE       SLOT                   LATENESS   DURATION   ATTEMPTS
  report-1767268798    Running     2026-01-01T11:59:58Z   0.12s      1.88s      1
  report-1767268796    Succeeded   2026-01-01T11:59:56Z   0.10s      0.90s      2
  report-m0123456789   Pending     <none>                 <none>     <none>     0
  report-1767268200    Failed      2026-01-01T11:50:00Z   2m10s      70s        3
Missed and Skipped:
  NAME                STATE     SLOT                   REASON                     MESSAGE
  report-1767268000   Missed    2026-01-01T11:46:40Z   StartingDeadlineExceeded   the leader was down for 3 minutes
  report-1767267900   Skipped   2026-01-01T11:45:00Z   Overlap                    report-1767267898 was running
Events:  <none>
`,
  );
});

test('describe job: a suspended one with its note; parents and trigger rule; next runs computed when the loop wrote none', () => {
  const nightly = describe(jobs[1]!, {}, NOW);
  assert.match(nightly, /\n  Schedule: +0 2 \* \* \* \| 30 14 \* \* 1-5\n/);
  assert.match(nightly, /\n  Suspend: +True \(until the migration is done\)\n/);
  assert.match(nightly, /\nNext Runs:  <none> \(suspended\)\n/);
  const load = describe(jobs[2]!, { runs: [], jobs }, NOW);
  assert.match(load, /\n  Schedule: +after report,service\/db\n  Parents: +report, service\/db\n  Trigger Rule: +allSucceeded\n  Children: +<none>\n/);
  assert.match(load, /\n  Parallelism: +3\n  Completions: +6\n/);
  assert.doesNotMatch(load, /Time Zone|DST Policy|Catch-Up/);
  assert.match(load, /\nNext Runs:  <none> \(it runs after its parents\)\nRecent Runs:  <none>\n$/);
  const hourly = describe({ ...jobs[3]!, status: {} }, {}, NOW);
  assert.match(hourly, /\nNext Runs:\n  2026-01-01T13:00:00Z \(in 60m\) \(computed here\)\n  2026-01-01T14:00:00Z \(in 120m\)\n  2026-01-01T15:00:00Z \(in 3h\)\n  2026-01-01T16:00:00Z \(in 4h\)\n  2026-01-01T17:00:00Z \(in 5h\)\n$/);
  const interval = describe({ ...jobs[3]!, spec: { ...jobs[3]!.spec, schedule: 'R/2026-01-01T00:00:00Z/PT6H' }, status: {} }, {}, NOW);
  assert.doesNotMatch(interval, /DST Policy/, 'an interval keeps no wall clock');
  assert.match(interval, /\nNext Runs:\n  2026-01-01T18:00:00Z \(in 6h\) \(computed here\)\n/);
});

test('describe job: only the newest 10 runs, then how many more', () => {
  const many = Array.from({ length: 12 }, (_, i) => ({ ...runs[1]!, metadata: { ...runs[1]!.metadata, name: `report-${1767268000 + i}`, creationTimestamp: new Date(NOW.getTime() - (12 - i) * 1000).toISOString() } }));
  const out = describe(jobs[0]!, { runs: many }, NOW);
  const listed = [...out.matchAll(/\n  (report-\d+) +Succeeded/g)].map((m) => m[1]);
  assert.deepEqual(listed, Array.from({ length: 10 }, (_, i) => `report-${1767268011 - i}`));
  assert.match(out, /\n  \(2 older: stowctl get jobruns -l stowage\/job=NAME\)\n/);
});

test('childrenOf: jobs naming this one as a parent, bare or job/, not a service of the same name', () => {
  const child = (name: string, parents: string[]) => ({ ...jobs[2]!, metadata: { ...jobs[2]!.metadata, name }, spec: { ...jobs[2]!.spec, parents } });
  assert.deepEqual(childrenOf(jobs[0]!, [child('b', ['job/report']), child('a', ['report', 'x']), child('c', ['service/report']), child('d', ['reports'])]), ['a', 'b']);
});

test('describe jobrun: job, trigger, slot, triggered by, state, reason, attempts, lateness, tasks', () => {
  assert.equal(
    describe({ ...runs[1]!, status: { ...runs[1]!.status!, triggeredBy: ['extract-1767268790'] } }, {}, NOW),
    `Name:              report-1767268796
Namespace:         default
Kind:              JobRun
Labels:            stowage/job=report
UID:               uid-report-1767268796
Resource Version:  42
Generation:        1
Created:           2026-01-01T11:59:56.000Z (4s ago)
Spec:
  Job:              report
  Trigger:          schedule
  Slot:             2026-01-01T11:59:56.000Z
  Triggered By:     extract-1767268790
  Retries:          2
  Active Deadline:  60s
  Parallelism:      1
  Completions:      1
  Image:            localhost/stowage-busybox:1
  Command:          /bin/sh -c 'echo done'
  Resources:        cpus=0.1 mem=16 disk=0
Status:
  State:     Succeeded
  Reason:    Completed
  Attempts:  2
  Lateness:  0.10s
  Started:   2026-01-01T11:59:56.100Z (3s ago)
  Finished:  2026-01-01T11:59:57.000Z (3s ago)
  Duration:  0.90s
  Tasks:     report-1767268796-aaaaa, report-1767268796-bbbbb (newest last)
`,
  );
  const manual = describe({ ...runs[5]!, status: { state: 'Succeeded', attempts: 1, reason: 'MarkedSuccess', markedSuccess: true, message: 'marked succeeded by a user; it had failed (Error)' } }, {}, NOW);
  assert.match(manual, /\n  Trigger: +manual\n  Run Env: +DAY=2026-01-01\n/);
  assert.match(manual, /\n  State: +Succeeded\n  Reason: +MarkedSuccess\n  Message: +marked succeeded by a user; it had failed \(Error\)\n  Marked Success: +True \(it had failed\)\n  Attempts: +1\n$/);
});
