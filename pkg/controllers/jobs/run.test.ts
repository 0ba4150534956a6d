/** computeRun, one situation per test: which tasks start or stop, and what the run's status says. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobRun, JobRunSpec, Task, TaskState } from '../../api/types.js';
import { computeRun, taskName } from './run.js';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();
const run = (spec: Partial<JobRunSpec> = {}, status: Partial<NonNullable<JobRun['status']>> = {}): JobRun => ({
  apiVersion: 'stowage/v1',
  kind: 'JobRun',
  metadata: { name: 'tick-1', namespace: 'default', creationTimestamp: iso(0) },
  spec: { job: 'tick', slot: iso(0), template: { image: 'x', resources: { cpus: 0.1, mem: 16, disk: 0 } }, retries: 0, ...spec },
  status: { state: 'Pending', attempts: 0, ...status },
});
const task = (i: number, state: TaskState, o: { started?: number; finished?: number; exitCode?: number; killing?: boolean } = {}): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: taskName('tick-1', i), namespace: 'default' },
  spec: { image: 'x', resources: { cpus: 0.1, mem: 16, disk: 0 }, ...(o.killing ? { desiredState: 'Killed' as const } : {}) },
  status: {
    state,
    ...(o.started !== undefined ? { startedAt: iso(o.started) } : {}),
    ...(o.finished !== undefined ? { finishedAt: iso(o.finished) } : {}),
    ...(o.exitCode !== undefined ? { exitCode: o.exitCode, reason: o.exitCode === 0 ? 'Completed' : 'Error', message: `exited with code ${o.exitCode}` } : {}),
  },
});

describe('computeRun', () => {
  it('a new run starts its first task, named <run>-00000, and lists it', () => {
    const p = computeRun(run(), [], at(0.01));
    assert.deepEqual(p.create, [0]);
    assert.deepEqual(p.status.tasks, ['tick-1-00000']);
    assert.equal(p.status.state, 'Pending');
  });

  it('Running once a task runs; lateness is first Running minus the slot', () => {
    const p = computeRun(run({}, { tasks: ['tick-1-00000'] }), [task(0, 'Running', { started: 0.12 })], at(1));
    assert.deepEqual([p.status.state, p.status.lateness, p.status.startedAt, p.create], ['Running', 0.12, iso(0.12), []]);
  });

  it('exit 0: Succeeded, Completed', () => {
    const p = computeRun(run({}, { state: 'Running', tasks: ['tick-1-00000'] }), [task(0, 'Succeeded', { started: 0.1, finished: 1, exitCode: 0 })], at(1.5));
    assert.deepEqual([p.status.state, p.status.reason, p.status.attempts, p.status.finishedAt], ['Succeeded', 'Completed', 1, iso(1.5)]);
  });

  it('a failure with retries left: another task after the backoff, doubling', () => {
    const r = run({ retries: 2, retryBackoffSeconds: 1 }, { state: 'Running', tasks: ['tick-1-00000'] });
    const one = [task(0, 'Failed', { started: 0, finished: 1, exitCode: 3 })];
    const wait = computeRun(r, one, at(1.2));
    assert.deepEqual([wait.create, wait.status.retryAt, wait.requeueAfterMs], [[], iso(2), 800]);
    const go = computeRun(r, one, at(2));
    assert.deepEqual([go.create, go.status.tasks], [[1], ['tick-1-00000', 'tick-1-00001']]);
    const two = [...one, task(1, 'Failed', { started: 2, finished: 3, exitCode: 3 })];
    assert.equal(computeRun(r, two, at(3.5)).status.retryAt, iso(5), 'the second retry waits 2 s');
    const p = computeRun(r, two, at(5));
    assert.deepEqual([p.create, p.status.attempts], [[2], 2]);
  });

  it('failures past retries: Failed, with the last task\'s reason', () => {
    const r = run({ retries: 1 }, { state: 'Running', tasks: ['tick-1-00000', 'tick-1-00001'] });
    const p = computeRun(r, [task(0, 'Failed', { finished: 1, exitCode: 3 }), task(1, 'Failed', { finished: 3, exitCode: 3 })], at(4));
    assert.deepEqual([p.status.state, p.status.reason, p.status.attempts, p.create], ['Failed', 'Error', 2, []]);
    assert.equal(p.status.message, '2 task(s) failed, 1 retry allowed; last: exited with code 3');
  });

  it('activeDeadlineSeconds: an overrunning run is Failed DeadlineExceeded and its task stopped; before it, a timer', () => {
    const r = run({ activeDeadlineSeconds: 5 }, { state: 'Running', startedAt: iso(0), tasks: ['tick-1-00000'] });
    const live = [task(0, 'Running', { started: 0 })];
    assert.equal(computeRun(r, live, at(2)).requeueAfterMs, 3000);
    const p = computeRun(r, live, at(5));
    assert.deepEqual([p.status.state, p.status.reason, p.stop.map((t) => t.metadata.name)], ['Failed', 'DeadlineExceeded', ['tick-1-00000']]);
  });

  it('Replace: a run asked to stop is Failed Replaced, its tasks stopped', () => {
    const p = computeRun(run({ desiredState: 'Killed' }, { state: 'Running', tasks: ['tick-1-00000'] }), [task(0, 'Running', { started: 0 })], at(3));
    assert.deepEqual([p.status.state, p.status.reason, p.stop.length], ['Failed', 'Replaced', 1]);
  });

  it('parallelism 2, completions 3: two at once, a third once one succeeded, done at three', () => {
    const r = run({ parallelism: 2, completions: 3 });
    assert.deepEqual(computeRun(r, [], at(0)).create, [0, 1]);
    const some = [task(0, 'Succeeded', { started: 0, finished: 1, exitCode: 0 }), task(1, 'Running', { started: 0 })];
    assert.deepEqual(computeRun(run({ parallelism: 2, completions: 3 }, { state: 'Running', tasks: ['tick-1-00000', 'tick-1-00001'] }), some, at(1)).create, [2]);
    const done = [...some.slice(0, 1), task(1, 'Succeeded', { exitCode: 0, finished: 2 }), task(2, 'Succeeded', { exitCode: 0, finished: 2 })];
    assert.equal(computeRun(run({ parallelism: 2, completions: 3 }, { state: 'Running' }), done, at(2)).status.state, 'Succeeded');
  });

  it('an ended run or a record: nothing to do', () => {
    for (const state of ['Succeeded', 'Failed', 'Missed', 'Skipped'] as const) {
      const p = computeRun(run({}, { state }), [], at(1));
      assert.deepEqual([p.create, p.stop], [[], []]);
    }
  });
});
