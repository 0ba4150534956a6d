/** The health policy alone (condemned, brake, planHealth) and as the services loop applies it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthCheck, Service, Task } from '../../api/types.js';
import { computeService } from '../services/compute.js';
import { T0, advance, at, isTerminal, names, play, service, task } from '../services/fixtures.js';
import { DEFAULT_HEALTH_POLICY, brake, condemned, planHealth } from './compute.js';

const HC: HealthCheck = { protocol: 'HTTP', portIndex: 0, path: '/', gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 3 };
const svcWith = (n: number, extra: Partial<Service['spec']> = {}) => service({ instances: n, healthChecks: [HC], ...extra });
const sick = (svc: Service, created = 0) => task(svc, { created, health: 'Unhealthy', consecutiveFailures: 3, message: 'HTTP 500' });
const well = (svc: Service, created = 0) => task(svc, { created, health: 'Healthy' });

describe('condemned', () => {
  it('Unhealthy with maxConsecutiveFailures failures, Running', () => {
    const svc = svcWith(1);
    assert.equal(condemned(sick(svc)), true);
    assert.equal(condemned(task(svc, { health: 'Unhealthy', consecutiveFailures: 2 })), false, 'not yet 3');
    assert.equal(condemned(task(svc, { health: 'Healthy' })), false);
    assert.equal(condemned(task(svc, { state: 'Starting', health: 'Unhealthy', consecutiveFailures: 3 })), false);
  });
  it('maxConsecutiveFailures 0 never condemns (Marathon)', () => {
    const svc = svcWith(1, { healthChecks: [{ ...HC, maxConsecutiveFailures: 0 }] });
    assert.equal(condemned(task(svc, { health: 'Unhealthy', consecutiveFailures: 50 })), false);
  });
});

describe('brake', () => {
  it('allows max(1, floor(share x instances)) kills per window', () => {
    const p = { ...DEFAULT_HEALTH_POLICY, share: 0.25, windowMs: 60_000 };
    assert.equal(brake([], 3, p, T0).allowance, 1);
    assert.equal(brake([], 8, p, T0).allowance, 2);
    const b = brake([at(-70), at(-30), at(-10)], 8, p, T0);
    assert.deepEqual(b.recent, [at(-30), at(-10)], 'a kill older than the window no longer counts');
    assert.equal(b.allowance, 0);
    assert.equal(b.frees, T0 + 30_000);
  });
});

describe('planHealth', () => {
  const t = (n: string) => ({ metadata: { name: n } }) as Task;
  const base = { old: [], instances: 3, headroom: 3, allowance: 1, policy: DEFAULT_HEALTH_POLICY };
  it('surge: no kill until a replacement is ready; one surge task meanwhile', () => {
    assert.deepEqual(planHealth({ ...base, current: [t('a')], ready: 2 }), { kill: [], surge: 1, held: 0 });
    const done = planHealth({ ...base, current: [t('a')], ready: 3 });
    assert.deepEqual(names(done.kill), ['a']);
    assert.equal(done.surge, 0);
  });
  it('kill-first when there is no headroom (maximumOverCapacity 0) or surge is off', () => {
    assert.deepEqual(names(planHealth({ ...base, current: [t('a')], ready: 2, headroom: 0 }).kill), ['a']);
    assert.deepEqual(names(planHealth({ ...base, current: [t('a')], ready: 2, policy: { ...DEFAULT_HEALTH_POLICY, surge: false } }).kill), ['a']);
  });
  it('the brake holds what the window does not allow', () => {
    assert.deepEqual(planHealth({ ...base, current: [t('a'), t('b'), t('c')], ready: 0, allowance: 1 }), { kill: [], surge: 1, held: 2 });
    assert.deepEqual(planHealth({ ...base, current: [t('a'), t('b')], ready: 2, allowance: 0 }), { kill: [], surge: 0, held: 2 });
    const kf = planHealth({ ...base, current: [t('a'), t('b'), t('c')], ready: 0, allowance: 1, headroom: 0 });
    assert.deepEqual([names(kf.kill), kf.held], [['a'], 2]);
  });
});

describe('health in the services loop', () => {
  it('surge-replace: start a replacement, kill the unhealthy task once it is ready', () => {
    const svc = svcWith(3);
    const bad = sick(svc, 0);
    const tasks = [bad, well(svc, 1), well(svc, 2)];
    const p1 = computeService({ service: svc, tasks, dependencies: [], now: T0 + 100_000 });
    assert.equal(p1.create.count, 1, 'a replacement starts first');
    assert.deepEqual(p1.kill, [], 'the unhealthy task stays until then');
    const repl = task(svc, { created: 100, health: 'Healthy' });
    const p2 = computeService({ service: { ...svc, status: p1.status }, tasks: [...tasks, repl], dependencies: [], now: T0 + 110_000 });
    assert.deepEqual(p2.kill.map((k) => [k.task.metadata.name, k.reason]), [[bad.metadata.name, 'Unhealthy']]);
    assert.equal(p2.create.count, 0);
    assert.equal(p2.status.lastFailures?.[0]?.state, 'Unhealthy');
    assert.equal(p2.status.lastFailures?.[0]?.message, 'HTTP 500');
    assert.deepEqual(p2.status.healthKills, [at(110)]);
    assert.equal(p2.status.backoff?.failures, 1, 'a health kill counts toward the launch backoff');
    assert.equal(p2.status.healthy, 3);
  });

  it('kill-first when maximumOverCapacity leaves no room; the replacement waits for the kill to end', () => {
    const svc = svcWith(3, { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    const bad = sick(svc);
    const p = computeService({ service: svc, tasks: [bad, well(svc, 1), well(svc, 2)], dependencies: [], now: T0 + 100_000 });
    assert.deepEqual(names(p.kill), [bad.metadata.name]);
    assert.equal(p.create.count, 0);
  });

  it('the brake: every task turns unhealthy at once; surge-replace kills at most the allowance per window, however fast replacements turn healthy', () => {
    const svc = svcWith(8);
    const sickOnes = new Set<string>();
    let world: Task[] = Array.from({ length: 8 }, (_, i) => sick(svc, i));
    for (const t of world) sickOnes.add(t.metadata.name);
    let status = svc.status;
    const start = T0 + 100_000;
    let now = start;
    const killedAt: number[] = [];
    let most = 0;
    // 130 seconds of reconciles, one a second; every replacement turns healthy a tick after it runs
    for (let i = 0; i < 130; i++) {
      const plan = computeService({ service: { ...svc, status }, tasks: world, dependencies: [], now });
      for (const k of plan.kill) {
        assert.ok(sickOnes.has(k.task.metadata.name), 'only the unhealthy tasks are killed');
        killedAt.push(now);
      }
      status = plan.status;
      world = play(svc, world, plan, now);
      world = advance(world, now, () => false, (t) => !sickOnes.has(t.metadata.name));
      most = Math.max(most, world.filter((t) => !isTerminal(t)).length);
      now += 1000;
    }
    // allowance: max(1, floor(0.25 x 8)) = 2 per 60 s window
    const inWindow = (from: number) => killedAt.filter((t) => t >= from && t < from + 60_000).length;
    for (let w = start; w < now - 60_000; w += 1000) assert.ok(inWindow(w) <= 2, `at most 2 kills in the window from ${(w - start) / 1000}s: ${inWindow(w)}`);
    assert.equal(inWindow(start), 2, 'the first window uses its whole allowance, no less');
    assert.equal(killedAt.length, 6, 'two per window over 130 s: 0-60, 60-120, 120-130');
    assert.ok(most <= 8 + 2, `surge bounded by the allowance: at most 10 tasks at once, saw ${most}`);
    assert.equal(status?.conditions?.find((c) => c.type === 'HealthBrake')?.status, 'True', 'two sick tasks are still held back');
  });

  it('the brake: a sick dependency makes every task unhealthy, replacements too: nothing is killed, the surge stays within the allowance', () => {
    const svc = svcWith(8);
    let world: Task[] = Array.from({ length: 8 }, (_, i) => sick(svc, i));
    let status = svc.status;
    let now = T0 + 100_000;
    let kills = 0;
    for (let i = 0; i < 30; i++) {
      const plan = computeService({ service: { ...svc, status }, tasks: world, dependencies: [], now });
      kills += plan.kill.length;
      status = plan.status;
      world = play(svc, world, plan, now);
      world = advance(world, now, () => false, () => false);
      now += 1000;
    }
    assert.equal(kills, 0, 'surge-first: no replacement became ready, so none replaced a task');
    assert.equal(world.filter((t) => !isTerminal(t)).length, 8 + 2, 'surge of exactly the allowance (2 of 8)');
  });

  it('the brake, kill-first: at most the share per window, the rest when the window moves on', () => {
    const svc = svcWith(8, { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    const world = Array.from({ length: 8 }, (_, i) => sick(svc, i));
    const p1 = computeService({ service: svc, tasks: world, dependencies: [], now: T0 + 100_000 });
    assert.equal(p1.kill.length, 2);
    assert.equal(p1.requeueAfterMs, 60_000, 'back when the window frees');
    const rest = world.filter((t) => !p1.kill.some((k) => k.task === t));
    const p2 = computeService({ service: { ...svc, status: p1.status }, tasks: rest, dependencies: [], now: T0 + 130_000 });
    assert.equal(p2.kill.length, 0, 'still inside the window');
    const p3 = computeService({ service: { ...svc, status: p1.status }, tasks: rest, dependencies: [], now: T0 + 160_000 });
    assert.equal(p3.kill.length, 2);
  });

  it('once the new revision has a ready task, condemned old tasks go at once (a rollback of a broken template)', () => {
    const v1 = svcWith(4, { command: ['v1'] });
    const v2 = svcWith(4, { command: ['v2'] });
    const tasks = [...Array.from({ length: 4 }, (_, i) => well(v1, i)), sick(v2, 5), sick(v2, 6)];
    const p = computeService({ service: v1, tasks, dependencies: [], now: T0 + 100_000 });
    assert.deepEqual(p.kill.map((k) => k.reason), ['Rollout', 'Rollout']);
    assert.equal(p.status.deployment?.state, 'complete');
  });

  it('old unhealthy tasks in a rollout go through the brake while no new task is ready', () => {
    const v1 = svcWith(4, { command: ['v1'] });
    const v2 = svcWith(4, { command: ['v2'] });
    const p = computeService({ service: v2, tasks: Array.from({ length: 4 }, (_, i) => sick(v1, i)), dependencies: [], now: T0 + 100_000 });
    assert.equal(p.kill.filter((k) => k.reason === 'Unhealthy').length, 1);
    assert.equal(p.kill.length, 1);
  });
});
