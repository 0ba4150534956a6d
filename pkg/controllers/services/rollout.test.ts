/**
 * Rolling upgrades, stepped to the end against a simulated cluster (fixtures
 * play/advance): for each upgradeStrategy the healthy tasks (and, with
 * readiness checks, ready) never drop below minimumHealthCapacity x instances and the tasks that have not ended never
 * exceed (1 + maximumOverCapacity) x instances — checked after every step
 * of the loop and of the cluster.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheck, ReadinessCheck, Service, ServiceStatus, Task } from '../../api/types.js';
import { computeService } from './compute.js';
import { T0, advance, isTerminal, play, service, task } from './fixtures.js';

const HC: HealthCheck = { protocol: 'HTTP', portIndex: 0, path: '/', gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 3 };
const RC: ReadinessCheck = { protocol: 'HTTP', port: '0', path: '/ready', intervalSeconds: 1, timeoutSeconds: 0.5, httpStatusCodesForReady: [200] };

/** Healthy, and past its readiness checks if it has any: what minimumHealthCapacity guards. */
const healthyCount = (w: Task[]) =>
  w.filter(
    (t) =>
      !isTerminal(t) && t.spec.desiredState !== 'Killed' && t.status?.state === 'Running' &&
      (!t.spec.healthChecks?.length || t.status.health === 'Healthy') && (!t.spec.readinessChecks?.length || t.status.ready === true),
  ).length;
const liveCount = (w: Task[]) => w.filter((t) => !isTerminal(t)).length;

interface Trace {
  steps: number;
  maxTotal: number;
  minHealthy: number;
  firstPass: { create: number; kill: number };
  state: string;
  status: ServiceStatus;
}

/** v1 running n healthy tasks; apply v2; step until complete (or `limit` steps). */
function rollout(
  minimumHealthCapacity: number,
  maximumOverCapacity: number,
  n: number,
  opts: { checks?: boolean; readiness?: boolean; limit?: number; newHealthy?: boolean; newReady?: boolean; deadline?: number; restart?: boolean } = {},
): Trace & { world: Task[] } {
  const spec = {
    instances: n,
    upgradeStrategy: { minimumHealthCapacity, maximumOverCapacity },
    progressDeadlineSeconds: opts.deadline ?? 600,
    ...(opts.checks === false ? {} : { healthChecks: [HC] }),
    ...(opts.readiness ? { ports: [{ name: 'http' }], readinessChecks: [RC] } : {}),
  };
  const v1 = service({ ...spec, command: ['v1'] });
  let world: Task[] = Array.from({ length: n }, (_, i) => task(v1, { created: i, health: 'Healthy', ...(opts.readiness ? { ready: true } : {}) }));
  let status = computeService({ service: v1, tasks: world, dependencies: [], now: T0 }).status;
  assert.equal(status.deployment?.state, 'complete');
  // a restart: the same template, with the server's restartedAt after every v1 task was created
  const v2: Service = opts.restart ? service({ ...spec, command: ['v1'], restartedAt: new Date(T0 + 500).toISOString() }, undefined, 2) : service({ ...spec, command: ['v2'] }, undefined, 2);
  let now = T0 + 1000;
  let minHealthy = Infinity;
  let maxTotal = 0;
  let firstPass: Trace['firstPass'] | undefined;
  const check = () => {
    minHealthy = Math.min(minHealthy, healthyCount(world));
    maxTotal = Math.max(maxTotal, liveCount(world));
  };
  let i = 0;
  // every third new task is slow, so readiness arrives out of order
  const slow = (t: Task) => t.spec.command?.[0] === 'v2' && Number.parseInt(t.metadata.name.slice(-2), 10) % 3 === 0 && (now / 1000) % 2 === 0;
  for (; i < (opts.limit ?? 200); i++) {
    const plan = computeService({ service: { ...v2, status }, tasks: world, dependencies: [], now });
    firstPass ??= { create: plan.create.count, kill: plan.kill.length };
    status = plan.status;
    world = play(v2, world, plan, now);
    check();
    if (status.deployment?.state === 'complete' && liveCount(world) === n) break;
    // readiness comes 3 s after the start (a cache warming), and only when newReady allows it
    const warm = (t: Task) => (opts.newReady !== false || t.spec.command?.[0] !== 'v2') && now - Date.parse(t.status?.startedAt ?? '') >= 3000;
    world = advance(world, now, slow, (t) => opts.newHealthy !== false || t.spec.command?.[0] !== 'v2', warm);
    check();
    now += 1000;
  }
  return { steps: i, maxTotal, minHealthy, firstPass: firstPass!, state: status.deployment!.state, status, world };
}

describe('rolling upgrade bounds', () => {
  const cases: [number, number, number, number, number][] = [
    // minHC, maxOC, n, healthy >= , total <=
    [1, 1, 4, 4, 8],
    [1, 0.5, 4, 4, 6],
    [1, 0.5, 3, 3, 4],
    [0.5, 0, 4, 2, 4],
    [0.5, 0, 3, 2, 3],
    [0, 0, 4, 0, 4],
    [0.75, 0.25, 8, 6, 10],
    [1, 0, 3, 3, 4], // Marathon: one over so (1, 0) can move at all
    [0.6, 0.2, 10, 6, 12],
  ];
  for (const [minHC, maxOC, n, floor, ceil] of cases) {
    for (const [checks, readiness] of [[true, false], [false, false], [true, true], [false, true]]) {
      const what = `${checks ? '' : ', no health checks'}${readiness ? ', readiness checks' : ''}`;
      it(`(${minHC}, ${maxOC}) x ${n}${what}: ${readiness ? 'ready' : 'healthy'} >= ${floor}, tasks <= ${ceil}, completes`, () => {
        const t = rollout(minHC, maxOC, n, { checks, readiness });
        assert.equal(t.state, 'complete', `stuck after ${t.steps} steps: ${t.status.deployment?.message}`);
        assert.ok(t.minHealthy >= floor, `${readiness ? 'ready' : 'healthy'} dropped to ${t.minHealthy}`);
        assert.ok(t.maxTotal <= ceil, `tasks rose to ${t.maxTotal}`);
        assert.equal(t.status.healthy, n);
        assert.equal(t.status.ready, readiness ? n : undefined);
        assert.equal(t.status.revisions?.length, 2);
        assert.equal(t.status.deployment?.revision, 2);
      });
    }
  }

  for (const [minHC, maxOC, n, floor, ceil] of [[1, 0.5, 4, 4, 6], [0.5, 0, 4, 2, 4], [0.75, 0.25, 8, 6, 10]] as const) {
    it(`a restart (${minHC}, ${maxOC}) x ${n}: every task replaced, healthy >= ${floor}, tasks <= ${ceil}, same revision`, () => {
      const t = rollout(minHC, maxOC, n, { restart: true });
      assert.equal(t.state, 'complete', `stuck after ${t.steps} steps: ${t.status.deployment?.message}`);
      assert.ok(t.minHealthy >= floor, `healthy dropped to ${t.minHealthy}`);
      assert.ok(t.maxTotal <= ceil, `tasks rose to ${t.maxTotal}`);
      const live = t.world.filter((x) => !isTerminal(x));
      assert.equal(live.length, n);
      assert.ok(live.every((x) => Date.parse(x.metadata.creationTimestamp!) >= T0 + 500), 'every task was created after the restart');
      assert.equal(t.status.revisions?.length, 1, 'a restart is no new revision');
      assert.deepEqual([t.status.deployment?.revision, t.status.deployment?.restartedAt], [1, new Date(T0 + 500).toISOString()]);
    });
  }

  it('after a restart completes, the next passes kill and create nothing', () => {
    const t = rollout(1, 0.5, 3, { restart: true });
    const svc = service({ instances: 3, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 }, healthChecks: [HC], command: ['v1'], restartedAt: new Date(T0 + 500).toISOString() }, t.status, 2);
    const plan = computeService({ service: svc, tasks: t.world.filter((x) => !isTerminal(x)), dependencies: [], now: T0 + 300_000 });
    assert.deepEqual([plan.create.count, plan.kill.length, plan.status.deployment?.state], [0, 0, 'complete']);
  });

  it('first steps: (1, 1) surges all new tasks, kills none', () => {
    assert.deepEqual(rollout(1, 1, 3, { limit: 1 }).firstPass, { create: 3, kill: 0 });
  });
  it('first steps: (1, 0.5) x 4 starts 2 new, kills none', () => {
    assert.deepEqual(rollout(1, 0.5, 4, { limit: 1 }).firstPass, { create: 2, kill: 0 });
  });
  it('first steps: (0.5, 0) x 4 kills 2 old first and waits for them to end', () => {
    assert.deepEqual(rollout(0.5, 0, 4, { limit: 1 }).firstPass, { create: 0, kill: 2 });
  });
  it('first steps: (0, 0) kills every old task at once', () => {
    assert.deepEqual(rollout(0, 0, 3, { limit: 1 }).firstPass, { create: 0, kill: 3 });
  });
});

describe('progress deadline', () => {
  it('a template that never turns healthy: failed at the deadline, the old tasks keep serving', () => {
    const t = rollout(1, 0.5, 3, { newHealthy: false, deadline: 30, limit: 60 });
    assert.equal(t.state, 'failed');
    assert.ok(t.minHealthy >= 3, 'old tasks were never killed for unready new ones');
    assert.equal(t.status.healthy, 3);
    assert.match(t.status.deployment!.message!, /^no progress for 30s \(progressDeadlineSeconds\): 0\/3 tasks of revision 2 ready, 3 old left/);
    const c = t.status.conditions?.find((x) => x.type === 'Progressing');
    assert.equal(c?.status, 'False');
    assert.equal(c?.reason, 'ProgressDeadlineExceeded');
  });

  it('a readiness check that never passes: failed at the deadline, the old tasks keep serving though the new ones are healthy', () => {
    const t = rollout(1, 0.5, 3, { readiness: true, newReady: false, deadline: 30, limit: 60 });
    assert.equal(t.state, 'failed');
    assert.ok(t.minHealthy >= 3, 'old tasks were never killed for unready new ones');
    assert.deepEqual([t.status.healthy, t.status.ready], [4, 3], 'one new task runs healthy on top, not ready');
    assert.match(t.status.deployment!.message!, /^no progress for 30s \(progressDeadlineSeconds\): 0\/3 tasks of revision 2 ready, 3 old left; 1 task\(s\) waiting for their readiness check/);
  });

  it('progress (more new tasks ready) pushes the deadline back; churn does not', () => {
    const svc = service({ instances: 3, progressDeadlineSeconds: 10 });
    const dep = { state: 'progressing' as const, revision: 1, instances: 3, startedAt: new Date(T0).toISOString(), progressAt: new Date(T0).toISOString(), maxReady: 1, minOld: 0 };
    const status: ServiceStatus = { instances: 3, running: 1, healthy: 1, deployment: dep };
    const one = [task(svc, { health: 'Healthy' }), task(svc, { state: 'Pending' }), task(svc, { state: 'Pending' })];
    const stuck = computeService({ service: { ...svc, status }, tasks: one, dependencies: [], now: T0 + 10_000 });
    assert.equal(stuck.status.deployment?.state, 'failed');
    const two = [task(svc, { health: 'Healthy' }), task(svc, { health: 'Healthy' }), task(svc, { state: 'Pending' })];
    const moving = computeService({ service: { ...svc, status }, tasks: two, dependencies: [], now: T0 + 10_000 });
    assert.equal(moving.status.deployment?.state, 'progressing');
    assert.equal(moving.status.deployment?.progressAt, new Date(T0 + 10_000).toISOString());
    assert.equal(moving.requeueAfterMs, 10_000);
  });

  it('a failed deployment that becomes ready after all turns complete', () => {
    const svc = service({ instances: 1, progressDeadlineSeconds: 10 });
    const status: ServiceStatus = { instances: 1, running: 0, healthy: 0, deployment: { state: 'failed', revision: 1, instances: 1, message: 'x' } };
    const p = computeService({ service: { ...svc, status }, tasks: [task(svc, { health: 'Healthy' })], dependencies: [], now: T0 });
    assert.equal(p.status.deployment?.state, 'complete');
  });

  it('rollback: the old template comes back as a new revision and the unready new tasks go', () => {
    const t = rollout(1, 0.5, 3, { newHealthy: false, deadline: 30, limit: 60 });
    const v1 = service({ instances: 3, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 }, healthChecks: [HC], command: ['v1'] }, undefined, 3);
    const v2 = service({ ...v1.spec, command: ['v2'] });
    const tasks = [task(v1, { health: 'Healthy' }), task(v1, { health: 'Healthy' }), task(v1, { health: 'Healthy' }), task(v2, { health: 'Unknown' })];
    const p = computeService({ service: { ...v1, status: t.status }, tasks, dependencies: [], now: T0 + 100_000 });
    assert.deepEqual(p.status.revisions?.map((r) => r.revision), [2, 3]);
    assert.equal(p.status.deployment?.revision, 3);
    assert.deepEqual(p.kill.map((k) => [k.task.spec.command?.[0], k.reason]), [['v2', 'Rollout']]);
    assert.equal(p.status.deployment?.state, 'complete');
  });
});
