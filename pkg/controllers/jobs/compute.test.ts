/** computeJob and decideSlots, one situation per test: what runs, what is recorded, and why. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, JobRun, JobSpec } from '../../api/types.js';
import { slotRunName } from '../../api/jobs.js';
import { applyDefaults } from '../../api/defaults.js';
import { computeJob, decideSlots, MAX_RECORDS, pastHistory, type ParentState } from './compute.js';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const job = (spec: Partial<JobSpec>, status: Job['status'] = undefined, created = T0): Job =>
  applyDefaults({
    apiVersion: 'stowage/v1',
    kind: 'Job',
    metadata: { name: 'tick', namespace: 'default', uid: 'job-uid', creationTimestamp: new Date(created).toISOString(), generation: 1 },
    spec: { image: 'x', resources: { cpus: 0.1, mem: 16 }, ...spec } as JobSpec,
    ...(status ? { status } : {}),
  } as Job);
const run = (name: string, state: NonNullable<JobRun['status']>['state'], extra: Partial<NonNullable<JobRun['status']>> = {}, slot?: number): JobRun => ({
  apiVersion: 'stowage/v1',
  kind: 'JobRun',
  metadata: { name, namespace: 'default', creationTimestamp: new Date(slot ?? T0).toISOString() },
  spec: { job: 'tick', jobUid: 'job-uid', template: { image: 'x', resources: { cpus: 0.1, mem: 16, disk: 0 } }, retries: 0, ...(slot !== undefined ? { slot: new Date(slot).toISOString() } : {}) },
  status: { state, attempts: 1, ...extra },
});
const at = (s: number) => T0 + s * 1000;
const names = (rs: JobRun[]) => rs.map((r) => `${r.metadata.name}:${r.status?.state}${r.status?.reason ? `:${r.status.reason}` : ''}`);
const every2s = { schedule: '*/2 * * * * *' };

describe('computeJob: scheduled slots', () => {
  it('the slot that is due runs, once; the next slot is the timer', () => {
    const j = job(every2s, { lastScheduleTime: new Date(at(0)).toISOString() });
    const p = computeJob({ job: j, runs: [], parents: [], now: at(2) + 5 });
    assert.deepEqual(names(p.create), [`${slotRunName('tick', at(2))}:Pending`]);
    assert.equal(p.create[0]!.spec.slot, new Date(at(2)).toISOString());
    assert.equal(p.status.lastScheduleTime, new Date(at(2)).toISOString());
    assert.equal(p.requeueAfterMs, 2000 - 5);
    assert.deepEqual(p.status.nextRunTimes?.slice(0, 2), [new Date(at(4)).toISOString(), new Date(at(6)).toISOString()]);
    // the same pass again (the cache shows the run): nothing new
    const again = computeJob({ job: { ...j, status: p.status }, runs: p.create, parents: [], now: at(2) + 50 });
    assert.deepEqual(again.create, []);
  });

  it('a new job starts with the slots after it was created', () => {
    const p = computeJob({ job: job(every2s, undefined, at(1)), runs: [], parents: [], now: at(2) });
    assert.deepEqual(names(p.create), [`${slotRunName('tick', at(2))}:Pending`]);
  });

  it('after downtime, catch-up latest within the window: the newest slot runs, older ones in the window are LeaderDown, older still OutsideCatchUpWindow', () => {
    const j = job({ ...every2s, catchUp: { windowSeconds: 3, mode: 'latest' } }, { lastScheduleTime: new Date(at(0)).toISOString() });
    const p = computeJob({ job: j, runs: [], parents: [], now: at(10) + 500 });
    assert.deepEqual(names(p.create), [
      `${slotRunName('tick', at(2))}:Missed:OutsideCatchUpWindow`,
      `${slotRunName('tick', at(4))}:Missed:OutsideCatchUpWindow`,
      `${slotRunName('tick', at(6))}:Missed:OutsideCatchUpWindow`,
      `${slotRunName('tick', at(8))}:Missed:LeaderDown`,
      `${slotRunName('tick', at(10))}:Pending`,
    ]);
    assert.equal(p.status.missed, 4);
    // the records are explained by one Warning per pass, and a record already written is not told again
    assert.deepEqual(p.events.filter((e) => e.reason === 'SlotMissed'), [{
      type: 'Warning', reason: 'SlotMissed',
      message: `4 slot(s) from ${new Date(at(2)).toISOString()} to ${new Date(at(8)).toISOString()} did not run (3 Missed OutsideCatchUpWindow, 1 Missed LeaderDown)`,
    }]);
    const again = computeJob({ job: j, runs: p.create, parents: [], now: at(10) + 600 });
    assert.deepEqual(again.events.filter((e) => e.reason === 'SlotMissed'), []);
  });

  it('one slot skipped for overlap: a SlotSkipped Warning naming the slot and why', () => {
    const j = job({ ...every2s, concurrencyPolicy: 'Forbid' }, { lastScheduleTime: new Date(at(0)).toISOString() });
    const active = run(slotRunName('tick', at(0)), 'Running', {}, at(0));
    const p = computeJob({ job: j, runs: [active], parents: [], now: at(2) + 10 });
    assert.deepEqual(names(p.create), [`${slotRunName('tick', at(2))}:Skipped:Overlap`]);
    assert.deepEqual(p.events.filter((e) => e.reason === 'SlotSkipped'), [{
      type: 'Warning', reason: 'SlotSkipped',
      message: `slot ${new Date(at(2)).toISOString()} did not run (Overlap): a run was still active (concurrencyPolicy)`,
    }]);
  });

  it('catch-up all runs each slot of the window in order; none runs only an on-time slot', () => {
    const j = (mode: 'all' | 'none') => job({ ...every2s, catchUp: { windowSeconds: 60, mode } }, { lastScheduleTime: new Date(at(0)).toISOString() });
    assert.deepEqual(names(computeJob({ job: j('all'), runs: [], parents: [], now: at(6) + 100 }).create), [
      `${slotRunName('tick', at(2))}:Pending`,
      `${slotRunName('tick', at(4))}:Pending`,
      `${slotRunName('tick', at(6))}:Pending`,
    ]);
    assert.deepEqual(names(computeJob({ job: j('none'), runs: [], parents: [], now: at(6) + 100 }).create), [
      `${slotRunName('tick', at(2))}:Missed:LeaderDown`,
      `${slotRunName('tick', at(4))}:Missed:LeaderDown`,
      `${slotRunName('tick', at(6))}:Pending`,
    ]);
  });

  it('no cliff: a day-long outage of a 1 s job is counted, the newest slots recorded, and it goes on scheduling', () => {
    const j = job({ schedule: '* * * * * *', catchUp: { windowSeconds: 0, mode: 'latest' } }, { lastScheduleTime: new Date(at(0)).toISOString() });
    const p = computeJob({ job: j, runs: [], parents: [], now: at(3600) + 10 });
    assert.equal(p.create.filter((r) => r.status?.state === 'Missed').length, MAX_RECORDS);
    assert.equal(p.status.missed, 3599);
    assert.deepEqual(names(p.create.filter((r) => r.status?.state === 'Pending')), [`${slotRunName('tick', at(3600))}:Pending`]);
    assert.ok(p.events.some((e) => e.reason === 'SlotsMissed'));
    assert.equal(p.requeueAfterMs, 990);
  });

  it('startingDeadlineSeconds: a slot that cannot start in time is Missed', () => {
    const j = job({ ...every2s, startingDeadlineSeconds: 1 }, { lastScheduleTime: new Date(at(0)).toISOString() });
    assert.deepEqual(names(computeJob({ job: j, runs: [], parents: [], now: at(2) + 1500 }).create), [`${slotRunName('tick', at(2))}:Missed:StartingDeadlineExceeded`]);
  });

  it('suspended: each slot is recorded Skipped (Suspended), none runs; the timer goes on', () => {
    const j = job({ ...every2s, suspend: true, suspendNote: 'maintenance' }, { lastScheduleTime: new Date(at(0)).toISOString() });
    const p = computeJob({ job: j, runs: [], parents: [], now: at(2) });
    assert.deepEqual(names(p.create), [`${slotRunName('tick', at(2))}:Skipped:Suspended`]);
    assert.equal(p.status.skipped, 1);
    assert.equal(p.status.conditions?.[0]?.message, 'maintenance');
    assert.equal(p.requeueAfterMs, 2000);
  });
});

describe('decideSlots: concurrency policies', () => {
  const ctx = (policy: JobSpec['concurrencyPolicy'], activeCount: number, buffered?: number) => ({ job: job({ ...every2s, concurrencyPolicy: policy, catchUp: { windowSeconds: 60, mode: 'all' } }), now: at(10), activeCount, ...(buffered ? { buffered: new Date(buffered).toISOString() } : {}) });
  it('Allow runs over an active run', () => {
    assert.deepEqual(decideSlots([at(10)], ctx('Allow', 1)).run, [at(10)]);
  });
  it('Forbid skips while one is active', () => {
    const d = decideSlots([at(10)], ctx('Forbid', 1));
    assert.deepEqual([d.run, d.notRun.map((n) => n.reason)], [[], ['Overlap']]);
  });
  it('Replace stops the active run and runs', () => {
    const d = decideSlots([at(10)], ctx('Replace', 1));
    assert.deepEqual([d.run, d.replace], [[at(10)], true]);
  });
  it('BufferOne keeps one slot for later and skips the next; the kept one runs first once nothing is active', () => {
    const d1 = decideSlots([at(8), at(10)], ctx('BufferOne', 1));
    assert.deepEqual([d1.run, d1.buffered, d1.notRun.map((n) => [n.slot.getTime(), n.reason])], [[], at(8), [[at(10), 'Overlap']]]);
    const d2 = decideSlots([], ctx('BufferOne', 0, at(8)));
    assert.deepEqual([d2.run, d2.buffered], [[at(8)], undefined]);
    const d3 = decideSlots([at(12)], ctx('BufferOne', 0, at(8)));
    assert.deepEqual([d3.run, d3.buffered], [[at(8)], at(12)]);
  });
});

describe('computeJob: once, parents, history', () => {
  it('RUN_ONCE: one run at creation, never again (a new template neither)', () => {
    const p = computeJob({ job: job({}), runs: [], parents: [], now: at(1) });
    assert.deepEqual(names(p.create), [`${slotRunName('tick', at(0))}:Pending`]);
    assert.equal(p.create[0]!.spec.trigger, 'once');
    const later = computeJob({ job: { ...job({ command: ['new'] }), status: p.status }, runs: [], parents: [], now: at(100) });
    assert.deepEqual(later.create, []);
  });

  const parent = (name: string, state?: 'Succeeded' | 'Failed'): ParentState => ({ ref: { kind: 'job', name }, found: true, ...(state ? { lastEnded: { name: `${name}-run`, state } } : {}) });
  it('parents, allSucceeded: waits, then runs once for the set of parent runs', () => {
    const child = job({ parents: ['a', 'b'] });
    assert.deepEqual(computeJob({ job: child, runs: [], parents: [parent('a', 'Succeeded'), parent('b')], now: at(1) }).create, []);
    const p = computeJob({ job: child, runs: [], parents: [parent('a', 'Succeeded'), parent('b', 'Succeeded')], now: at(2) });
    assert.equal(p.create.length, 1);
    assert.deepEqual(p.create[0]!.spec.triggeredBy, ['a-run', 'b-run']);
    assert.deepEqual(computeJob({ job: child, runs: p.create, parents: [parent('a', 'Succeeded'), parent('b', 'Succeeded')], now: at(3) }).create, [], 'once per set');
    const failed = computeJob({ job: child, runs: [], parents: [parent('a', 'Succeeded'), parent('b', 'Failed')], now: at(2) });
    assert.deepEqual([failed.create, failed.status.conditions?.[0]?.status], [[], 'False']);
  });
  it('parents: oneFailed runs on a failure; an unknown parent is a condition', () => {
    assert.equal(computeJob({ job: job({ parents: ['a', 'b'], triggerRule: 'oneFailed' }), runs: [], parents: [parent('a', 'Succeeded'), parent('b', 'Failed')], now: at(2) }).create.length, 1);
    const p = computeJob({ job: job({ parents: ['ghost'] }), runs: [], parents: [{ ref: { kind: 'job', name: 'ghost' }, found: false }], now: at(2) });
    assert.deepEqual(p.status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['ParentsReady', 'False', 'ParentNotFound', 'job/ghost not found']]);
  });
  it('history: the newest 3 succeeded, 1 failed, 10 records are kept, once the others are a minute old', () => {
    const runs = [
      ...Array.from({ length: 5 }, (_, i) => run(`s${i}`, 'Succeeded', {}, at(i))),
      ...Array.from({ length: 3 }, (_, i) => run(`f${i}`, 'Failed', {}, at(i))),
      ...Array.from({ length: 12 }, (_, i) => run(`m${i}`, 'Missed', {}, at(i))),
      run('active', 'Running', {}, at(0)),
    ];
    const h = pastHistory(job({}), runs, at(0) + 61_000);
    assert.deepEqual(h.remove.map((r) => r.metadata.name), ['s1', 's0', 'f1', 'f0', 'm1', 'm0']);
    const young = pastHistory(job({}), runs, at(1) + 30_000);
    assert.deepEqual([young.remove, young.wakeAt], [[], at(0) + 60_000], 'a run that ended within the minute stays; the job looks again then');
  });
});
