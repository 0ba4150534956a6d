/** computeService, one situation per test: what it creates, kills, deletes and records. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheck, ReadinessCheck, Service } from '../../api/types.js';
import { computeService, type ComputeInput } from './compute.js';
import { dependencyState, jobDependencyState } from './conditions.js';
import { T0, at, names, service, task, type TaskOpts } from './fixtures.js';
import { templateHash, templateOf } from '../../api/template.js';

const run = (svc: Service, tasks: ComputeInput['tasks'], now = T0 + 10_000, extra: Partial<ComputeInput> = {}) =>
  computeService({ service: svc, tasks, dependencies: [], now, ...extra });
const ready = (svc: Service, n: number, from = 0) => Array.from({ length: n }, (_, i) => task(svc, { created: from + i, health: 'Healthy' }));
const HC: HealthCheck = { protocol: 'HTTP', portIndex: 0, path: '/', gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 3 };
const cond = (p: ReturnType<typeof run>, type: string) => p.status.conditions?.find((c) => c.type === type);

describe('computeService: instances', () => {
  it('tasks on a NotReady node (Unreachable) are neither running, healthy nor ready, and are not replaced until Lost', () => {
    const svc = service({ instances: 3, healthChecks: [HC] });
    const away = ready(svc, 2, 0).map((t) => ({ ...t, status: { ...t.status!, state: 'Unreachable' as const, stateBeforeUnreachable: 'Running' as const } }));
    const p = run(svc, [...away, ...ready(svc, 1, 5)]);
    assert.deepEqual([p.status.running, p.status.healthy, p.status.tasks], [1, 1, 3]);
    assert.equal(p.create.count, 0, 'they may come back: nothing is started in their place yet');
    assert.deepEqual(p.kill, []);
    assert.equal(cond(p, 'Available')?.status, 'False');
  });

  it('a new service: creates all instances of revision 1, deployment progressing', () => {
    const svc = service({ instances: 3 });
    const p = run(svc, []);
    assert.equal(p.create.count, 3);
    assert.equal(p.create.revision, 1);
    assert.equal(p.create.hash, templateHash(templateOf(svc.spec)));
    assert.deepEqual(p.kill, []);
    assert.equal(p.status.deployment?.state, 'progressing');
    assert.equal(p.status.revisions?.length, 1);
    assert.equal(p.status.observedGeneration, 1);
    assert.ok(p.requeueAfterMs! > 0 && p.requeueAfterMs! <= 600_000, 'wakes at the deadline');
  });

  it('all instances ready: deployment complete, nothing to do, counts in the status', () => {
    const svc = service({ instances: 3 });
    const p = run(svc, ready(svc, 3));
    assert.equal(p.create.count, 0);
    assert.deepEqual(p.kill, []);
    assert.equal(p.status.deployment?.state, 'complete');
    assert.deepEqual([p.status.instances, p.status.running, p.status.healthy, p.status.tasks], [3, 3, 3, 3]);
    assert.equal(cond(p, 'Available')?.status, 'True');
    assert.equal(p.requeueAfterMs, undefined);
  });

  it('scale up creates the difference', () => {
    const svc = service({ instances: 5 });
    assert.equal(run(svc, ready(svc, 3)).create.count, 2);
  });

  it('scale down kills the surplus, youngest first', () => {
    const svc = service({ instances: 2 });
    const ts = ready(svc, 5); // created at 0..4 s
    const p = run(svc, ts);
    assert.deepEqual(names(p.kill), names([ts[4]!, ts[3]!, ts[2]!]));
    assert.ok(p.kill.every((k) => k.reason === 'ScaleDown'));
    assert.equal(p.create.count, 0);
    assert.equal(p.status.healthy, 2);
  });

  it('scale down prefers unplaced, then not running, then unready tasks over the youngest', () => {
    const svc = service({ instances: 2, healthChecks: [HC] });
    const old = task(svc, { created: 0, health: 'Healthy' });
    const young = task(svc, { created: 9, health: 'Healthy' });
    const unready = task(svc, { created: 1, health: 'Unknown' });
    const starting = task(svc, { created: 2, state: 'Starting' });
    const pending = task(svc, { created: 3, state: 'Pending' });
    const p = run(service({ instances: 1, healthChecks: [HC] }), [old, young, unready, starting, pending]);
    assert.deepEqual(names(p.kill), names([pending, starting, unready, young]));
  });

  it('scale to zero kills everything; complete once none is left', () => {
    const svc = service({ instances: 0 });
    const p = run(svc, ready(svc, 2));
    assert.equal(p.kill.length, 2);
    assert.equal(p.status.deployment?.state, 'complete');
  });

  it('tasks being killed count for nothing but still occupy capacity', () => {
    const svc = service({ instances: 3, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    const p = run(svc, [...ready(svc, 2), task(svc, { killing: true, health: 'Healthy' })]);
    assert.equal(p.status.healthy, 2);
    assert.equal(p.status.terminating, 1);
    assert.equal(p.create.count, 0, 'maxTotal 3 is taken by 2 live + 1 terminating');
    const roomy = service({ instances: 3 });
    assert.equal(run(roomy, [...ready(roomy, 2), task(roomy, { killing: true })]).create.count, 1);
  });
});

describe('computeService: replacing tasks that ended', () => {
  it('a Failed task is recorded, deleted and replaced after the first backoff delay', () => {
    const svc = service({ instances: 3 });
    const dead = task(svc, { state: 'Failed', exitCode: 137, reason: 'Error', message: 'killed', finishedAt: 10, created: 5 });
    const p = run(svc, [...ready(svc, 2), dead], T0 + 10_000);
    assert.deepEqual(names(p.remove), [dead.metadata.name]);
    assert.deepEqual(p.status.lastFailures?.[0], { task: dead.metadata.name, revision: 1, state: 'Failed', exitCode: 137, reason: 'Error', message: 'killed', node: 'n1', at: at(10) });
    assert.equal(p.status.backoff?.failures, 1);
    assert.equal(p.create.count, 0, 'held for backoffSeconds (1 s)');
    assert.equal(p.status.delayedUntil, at(11));
    assert.equal(cond(p, 'LaunchDelayed')?.status, 'True');
    assert.equal(p.requeueAfterMs, 1000);
    // one second later (the ended task is gone now)
    const later = run({ ...svc, status: p.status }, ready(svc, 2), T0 + 11_000);
    assert.equal(later.create.count, 1);
    assert.equal(later.status.delayedUntil, undefined);
    assert.equal(cond(later, 'LaunchDelayed'), undefined);
  });

  it('a Lost task (its node died) is replaced at once: not the app\'s fault, no backoff', () => {
    const svc = service({ instances: 2 });
    const lost = task(svc, { state: 'Lost', reason: 'NodeLost', finishedAt: 10 });
    const p = run(svc, [ready(svc, 1)[0]!, lost]);
    assert.equal(p.create.count, 1);
    assert.equal(p.status.backoff?.failures, 0);
    assert.equal(p.status.lastFailures?.[0]?.state, 'Lost');
    assert.equal(p.events.find((e) => e.reason === 'TaskLost')?.type, 'Warning');
  });

  it('a task that exited 0 counts as a failure too: a service is meant to keep running', () => {
    const svc = service({ instances: 1 });
    const p = run(svc, [task(svc, { state: 'Succeeded', exitCode: 0, finishedAt: 9 })]);
    assert.equal(p.status.backoff?.failures, 1);
    assert.equal(p.status.lastFailures?.[0]?.reason, 'Exited');
  });

  it('a task this loop killed is deleted without being recorded', () => {
    const svc = service({ instances: 1 });
    const p = run(svc, [ready(svc, 1)[0]!, task(svc, { state: 'Killed', killing: true, exitCode: 143 })]);
    assert.equal(p.remove.length, 1);
    assert.equal(p.status.lastFailures?.length, 0);
    assert.equal(p.status.backoff?.failures, 0);
  });

  it('keeps the last 10 failures, newest first', () => {
    const svc = service({ instances: 12 });
    const dead = Array.from({ length: 12 }, (_, i) => task(svc, { state: 'Failed', exitCode: 1, finishedAt: i, created: i }));
    const p = run(svc, dead, T0 + 20_000);
    assert.equal(p.status.lastFailures?.length, 10);
    assert.equal(p.status.lastFailures?.[0]?.at, at(11));
    assert.equal(p.status.lastFailures?.[9]?.at, at(2));
  });

  it('deletes at most maxEndsPerPass ended tasks per pass and comes back at once for the rest', () => {
    const svc = service({ instances: 40 });
    const dead = Array.from({ length: 40 }, (_, i) => task(svc, { state: 'Lost', created: i }));
    const p = run(svc, dead, T0 + 10_000, { options: { maxEndsPerPass: 30 } });
    assert.equal(p.remove.length, 30);
    assert.equal(p.requeueAfterMs, 0);
  });
});

describe('computeService: unschedulable and dependencies', () => {
  it('a task the scheduler cannot place: condition Unschedulable with its reason', () => {
    const svc = service({ instances: 4 });
    const p = run(svc, [...ready(svc, 3), task(svc, { state: 'Pending', pendingReason: '0/3 nodes fit: 3 constraint hostname UNIQUE' })]);
    const c = cond(p, 'Unschedulable');
    assert.equal(c?.status, 'True');
    assert.equal(c?.message, '1 task(s) pending: 0/3 nodes fit: 3 constraint hostname UNIQUE');
    assert.match(p.status.deployment!.message!, /1 task\(s\) pending: 0\/3 nodes fit/);
  });

  it('waits for dependencies before starting a template', () => {
    const svc = service({ instances: 2, dependencies: ['db'] });
    const db = service({ instances: 1 });
    db.metadata.name = 'db';
    const notYet = dependencyState('db', { ...db, status: { instances: 1, running: 1, healthy: 0 } });
    const p = run(svc, [], T0, { dependencies: [notYet] });
    assert.equal(p.create.count, 0);
    assert.equal(cond(p, 'DependenciesReady')?.status, 'False');
    assert.equal(cond(p, 'DependenciesReady')?.message, 'service/db: 0/1 healthy');
    const missing = run(svc, [], T0, { dependencies: [dependencyState('db', undefined)] });
    assert.equal(cond(missing, 'DependenciesReady')?.message, 'service/db not found');
    const ok = run(svc, [], T0, { dependencies: [dependencyState('db', { ...db, status: { instances: 1, running: 1, healthy: 1 } })] });
    assert.equal(ok.create.count, 2);
    assert.equal(cond(ok, 'DependenciesReady')?.status, 'True');
  });

  it('a dependency with a readiness check counts its ready tasks, not its healthy ones', () => {
    const db = service({ instances: 2, ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', path: '/', intervalSeconds: 1, timeoutSeconds: 0.5, httpStatusCodesForReady: [200] }] });
    db.metadata.name = 'db';
    const warming = dependencyState('db', { ...db, status: { instances: 2, running: 2, healthy: 2, ready: 1 } });
    assert.deepEqual(warming, { name: 'service/db', ready: false, detail: 'service/db: 1/2 ready' });
    assert.equal(dependencyState('db', { ...db, status: { instances: 2, running: 2, healthy: 2, ready: 2 } }).ready, true);
  });

  it('a job dependency is ready when its newest run succeeded', () => {
    const job = { apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: {} } as unknown as Parameters<typeof jobDependencyState>[1];
    const runIn = (state: 'Running' | 'Succeeded' | 'Failed') => ({ metadata: { name: 'migrate-m1' }, status: { state } }) as unknown as Parameters<typeof jobDependencyState>[2];
    assert.deepEqual(jobDependencyState('migrate', undefined, undefined), { name: 'job/migrate', ready: false, detail: 'job/migrate not found' });
    assert.deepEqual(jobDependencyState('migrate', job, undefined), { name: 'job/migrate', ready: false, detail: 'job/migrate has not run yet' });
    assert.deepEqual(jobDependencyState('migrate', job, runIn('Running')), { name: 'job/migrate', ready: false, detail: 'job/migrate: run migrate-m1 Running' });
    assert.equal(jobDependencyState('migrate', job, runIn('Succeeded')).ready, true);
    assert.equal(jobDependencyState('migrate', job, runIn('Failed')).ready, false);
  });

  it('keeps replacing instances of a template that already serves while a dependency is down', () => {
    const svc = service({ instances: 2, dependencies: ['db'] });
    const p = run(svc, ready(svc, 1), T0, { dependencies: [dependencyState('db', undefined)] });
    assert.equal(p.create.count, 1);
  });

  it('does not tear down old tasks for an upgrade while dependencies are down', () => {
    const v1 = service({ instances: 2, dependencies: ['db'], upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
    const v2 = service({ ...v1.spec, command: ['v2'] }, undefined, 2);
    const p = run(v2, ready(v1, 2), T0, { dependencies: [dependencyState('db', undefined)] });
    assert.deepEqual(p.kill, []);
    assert.equal(p.create.count, 0);
  });
});

describe('computeService: readiness checks gate the rollout', () => {
  const RC: ReadinessCheck = { protocol: 'HTTP', port: 'http', path: '/ready', intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [200] };
  const svcs = (checks: { health: boolean; readiness: boolean }) => {
    const spec = {
      instances: 2,
      ports: [{ name: 'http' }],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
      ...(checks.health ? { healthChecks: [HC] } : {}),
      ...(checks.readiness ? { readinessChecks: [RC] } : {}),
    };
    return { v1: service({ ...spec, command: ['v1'] }), v2: service({ ...spec, command: ['v2'] }, undefined, 2) };
  };
  // Two old tasks serve; one new task in the state given. minimumHealthCapacity 1: an old one goes only once the new one is ready.
  const table: { name: string; health: boolean; readiness: boolean; fresh: TaskOpts; kills: number; healthy: number; ready: number | undefined }[] = [
    { name: 'healthy, readiness not passed yet: no old task goes', health: true, readiness: true, fresh: { health: 'Healthy', ready: false }, kills: 0, healthy: 3, ready: 2 },
    { name: 'healthy and ready: one old task goes', health: true, readiness: true, fresh: { health: 'Healthy', ready: true }, kills: 1, healthy: 2, ready: 2 },
    { name: 'ready but not healthy yet: no old task goes', health: true, readiness: true, fresh: { health: 'Unknown', ready: true }, kills: 0, healthy: 2, ready: 2 },
    { name: 'not probed yet (no status.ready): not ready', health: true, readiness: true, fresh: { health: 'Healthy' }, kills: 0, healthy: 3, ready: 2 },
    { name: 'no health checks: Running and ready is enough', health: false, readiness: true, fresh: { ready: true }, kills: 1, healthy: 2, ready: 2 },
    { name: 'no health checks, readiness not passed: Running is not enough', health: false, readiness: true, fresh: { ready: false }, kills: 0, healthy: 3, ready: 2 },
    { name: 'no readiness checks: healthy is ready, no ready counter', health: true, readiness: false, fresh: { health: 'Healthy' }, kills: 1, healthy: 2, ready: undefined },
  ];
  for (const tc of table) {
    it(tc.name, () => {
      const { v1, v2 } = svcs(tc);
      const oldOpts: TaskOpts = { ...(tc.health ? { health: 'Healthy' } : {}), ...(tc.readiness ? { ready: true } : {}) };
      const olds = [task(v1, { created: 0, ...oldOpts }), task(v1, { created: 1, ...oldOpts })];
      const p = run(v2, [...olds, task(v2, { created: 5, ...tc.fresh })]);
      assert.deepEqual(p.kill.map((k) => [k.reason, k.task.spec.command?.[0]]), Array(tc.kills).fill(['Rollout', 'v1']));
      assert.equal(p.create.count, 0, 'maxTotal 3 is taken');
      assert.deepEqual([p.status.healthy, p.status.ready], [tc.healthy, tc.ready]);
      assert.equal(cond(p, 'Available')?.status, 'True', 'two tasks stay ready throughout');
      assert.equal(p.status.deployment?.state, 'progressing');
    });
  }

  it('says what the deployment waits for, and completes once every new task is ready', () => {
    const { v2 } = svcs({ health: true, readiness: true });
    const why = 'GET http://127.0.0.1:31001/ready: HTTP 503';
    const waiting = run(v2, [task(v2, { health: 'Healthy', ready: true }), task(v2, { health: 'Healthy', ready: false, readinessMessage: why })]);
    assert.equal(waiting.status.deployment?.state, 'progressing');
    assert.equal(waiting.status.deployment?.message, `1/2 tasks of revision 1 ready; 1 task(s) waiting for their readiness check: ${why}`);
    assert.equal(cond(waiting, 'Available')?.message, '1/2 ready (2 healthy), minimum 2');
    assert.equal(cond(waiting, 'Available')?.status, 'False');
    const done = run(v2, [task(v2, { health: 'Healthy', ready: true }), task(v2, { health: 'Healthy', ready: true })]);
    assert.equal(done.status.deployment?.state, 'complete');
    assert.equal(cond(done, 'Available')?.message, '2/2 ready (2 healthy), minimum 2');
  });

  it('each task is judged by its own template: old tasks by their readiness checks, new ones without', () => {
    const { v1 } = svcs({ health: false, readiness: true });
    const v2 = service({ ...v1.spec, readinessChecks: undefined, command: ['v2'] }, undefined, 2);
    const olds = [task(v1, { created: 0, ready: true }), task(v1, { created: 1, ready: false })];
    const p = run(v2, [...olds, task(v2, { created: 5 })]);
    assert.deepEqual(names(p.kill), names([olds[1]!]), 'the old task that never became ready goes; the ready one stays for the minimum of 2');
    assert.deepEqual([p.status.healthy, p.status.ready], [2, 2]);
  });
});
