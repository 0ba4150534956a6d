/** Launch backoff: growth, cap, reset by a new template and by a task ready long enough. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceStatus, Task } from '../../api/types.js';
import { RESET_AFTER_MS, addFailure, backoffFor, launchDelayMs, maybeReset } from './backoff.js';
import { computeService } from './compute.js';
import { T0, at, service, task } from './fixtures.js';

describe('launchDelayMs', () => {
  it("Marathon's defaults: 1 s x 1.15^(n-1), capped at 300 s", () => {
    const spec = service().spec;
    assert.deepEqual([1, 2, 3, 4].map((n) => launchDelayMs(spec, n)), [1000, 1150, 1322, 1521]);
    assert.equal(launchDelayMs(spec, 0), 0);
    assert.equal(launchDelayMs(spec, 100), 300_000);
  });
  it('as configured', () => {
    const spec = service({ backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 8 }).spec;
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => launchDelayMs(spec, n)), [1000, 2000, 4000, 8000, 8000, 8000]);
  });
});

describe('reset', () => {
  it('a new template starts from zero', () => {
    assert.deepEqual(backoffFor({ failures: 5, hash: 'a', lastFailureAt: at(0) }, 'b'), { failures: 0, hash: 'b' });
    assert.equal(backoffFor({ failures: 5, hash: 'a' }, 'a').failures, 5);
  });
  it('a task ready since after the last failure, for RESET_AFTER_MS', () => {
    const b = addFailure({ failures: 0, hash: 'a' }, T0);
    assert.equal(maybeReset(b, [T0 - 1000], T0 + RESET_AFTER_MS * 2).backoff.failures, 1, 'ready since before the failure: no');
    const soon = maybeReset(b, [T0 + 1000], T0 + 2000);
    assert.equal(soon.backoff.failures, 1);
    assert.equal(soon.recheckAt, T0 + 1000 + RESET_AFTER_MS);
    assert.equal(maybeReset(b, [T0 + 1000], T0 + 1000 + RESET_AFTER_MS).backoff.failures, 0);
  });
});

describe('a crash loop in the services loop', () => {
  it('relaunches after 1, 2, 4, 8, 8 s as configured', () => {
    const svc = service({ instances: 1, backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 8 });
    let status: ServiceStatus | undefined;
    let now = T0;
    let world: Task[] = [];
    const launches: number[] = [];
    for (let i = 0; i < 2000 && launches.length < 6; i++) {
      const plan = computeService({ service: { ...svc, status }, tasks: world, dependencies: [], now });
      status = plan.status;
      world = world.filter((t) => !plan.remove.some((r) => r.task === t));
      if (plan.create.count > 0) {
        launches.push(now);
        // it runs for 100 ms, then exits 1
        world.push(task(svc, { state: 'Failed', exitCode: 1, created: (now - T0) / 1000, finishedAt: (now + 100 - T0) / 1000 }));
        now += 100;
        continue;
      }
      now += 50;
    }
    const gaps = launches.slice(1).map((t, i) => t - launches[i]! - 100);
    assert.deepEqual(gaps, [1000, 2000, 4000, 8000, 8000]);
    assert.equal(status?.backoff?.failures, 5);
    assert.ok(status?.lastFailures?.length === 5);
  });

  it('the status says until when launches are delayed, and why', () => {
    const svc = service({ instances: 1 });
    const status: ServiceStatus = { instances: 1, running: 0, healthy: 0, backoff: { failures: 3, lastFailureAt: at(10), hash: computeService({ service: svc, tasks: [], dependencies: [], now: T0 }).create.hash } };
    const p = computeService({ service: { ...svc, status }, tasks: [], dependencies: [], now: T0 + 10_500 });
    assert.equal(p.create.count, 0);
    assert.equal(p.status.delayedUntil, at(11.322));
    assert.match(p.status.conditions!.find((c) => c.type === 'LaunchDelayed')!.message!, /^launches delayed until .* after 3 failure\(s\)/);
    assert.match(p.status.deployment!.message!, /launches delayed until/);
  });

  it('a template change resets it: the new template launches at once', () => {
    const svc = service({ instances: 1, command: ['v2'] }, undefined, 2);
    const status: ServiceStatus = { instances: 1, running: 0, healthy: 0, backoff: { failures: 9, lastFailureAt: at(10), hash: 'old' } };
    const p = computeService({ service: { ...svc, status }, tasks: [], dependencies: [], now: T0 + 10_500 });
    assert.equal(p.create.count, 1);
    assert.equal(p.status.backoff?.failures, 0);
  });

  it('a task ready for a minute after the last failure forgives the failures', () => {
    const svc = service({ instances: 2 });
    const hash = computeService({ service: svc, tasks: [], dependencies: [], now: T0 }).create.hash;
    const status: ServiceStatus = { instances: 2, running: 1, healthy: 1, backoff: { failures: 4, lastFailureAt: at(10), hash } };
    const ok = task(svc, { created: 20, startedAt: 20 });
    const early = computeService({ service: { ...svc, status }, tasks: [ok], dependencies: [], now: T0 + 30_000 });
    assert.equal(early.status.backoff?.failures, 4);
    const later = computeService({ service: { ...svc, status }, tasks: [ok], dependencies: [], now: T0 + 80_000 });
    assert.equal(later.status.backoff?.failures, 0);
    assert.equal(later.create.count, 1);
  });
});
