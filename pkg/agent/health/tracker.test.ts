import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthTracker, type HealthRules } from './tracker.js';
import type { Health } from '../../api/types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const rules = (over: Partial<HealthRules> = {}): HealthRules => ({
  gracePeriodSeconds: 5,
  intervalSeconds: 2,
  timeoutSeconds: 1,
  maxConsecutiveFailures: 3,
  ...over,
});

/** [seconds after task start, probe healthy?] -> [health, consecutiveFailures, shouldKill] after it. */
type Step = [at: number, ok: boolean, want: [Health, number, boolean?]];

const table: { name: string; rules?: Partial<HealthRules>; steps: Step[] }[] = [
  {
    name: 'failures inside the grace period do not count; after it they do',
    steps: [
      [2, false, ['Unknown', 0]],
      [4, false, ['Unknown', 0]],
      [6, false, ['Unknown', 1]],
      [8, false, ['Unknown', 2]],
      [10, false, ['Unhealthy', 3, true]],
    ],
  },
  {
    name: 'a success inside the grace period ends it: later failures count at once',
    steps: [
      [1, true, ['Healthy', 0]],
      [2, false, ['Healthy', 1]],
      [3, false, ['Healthy', 2]],
      [4, false, ['Unhealthy', 3, true]],
    ],
  },
  {
    name: 'one success resets the count and makes it Healthy again',
    rules: { gracePeriodSeconds: 0 },
    steps: [
      [2, false, ['Unknown', 1]],
      [4, false, ['Unknown', 2]],
      [6, true, ['Healthy', 0]],
      [8, false, ['Healthy', 1]],
      [10, false, ['Healthy', 2]],
      [12, false, ['Unhealthy', 3, true]],
      [14, false, ['Unhealthy', 4, true]],
      [16, true, ['Healthy', 0, false]],
    ],
  },
  {
    name: 'maxConsecutiveFailures 1: the first counted failure',
    rules: { gracePeriodSeconds: 0, maxConsecutiveFailures: 1 },
    steps: [
      [2, true, ['Healthy', 0]],
      [4, false, ['Unhealthy', 1, true]],
    ],
  },
  {
    name: 'maxConsecutiveFailures 0: shows Unhealthy, never asks for a kill',
    rules: { gracePeriodSeconds: 0, maxConsecutiveFailures: 0 },
    steps: [
      [2, false, ['Unhealthy', 1, false]],
      [4, false, ['Unhealthy', 2, false]],
      [6, true, ['Healthy', 0, false]],
    ],
  },
  {
    name: 'a failure exactly at the end of the grace period counts',
    steps: [
      [4.999, false, ['Unknown', 0]],
      [5, false, ['Unknown', 1]],
    ],
  },
];

describe('HealthTracker', () => {
  for (const tc of table) {
    it(tc.name, () => {
      const t = new HealthTracker(rules(tc.rules), T0);
      assert.equal(t.state().health, 'Unknown');
      for (const [at, ok, [health, failures, kill]] of tc.steps) {
        const s = t.record({ healthy: ok, message: ok ? 'HTTP 200' : 'HTTP 503' }, T0 + at * 1000);
        const got = [s.health, s.consecutiveFailures, ...(kill === undefined ? [] : [s.shouldKill])];
        assert.deepEqual(got, [health, failures, ...(kill === undefined ? [] : [kill])], `after the check at ${at}s`);
        assert.equal(s.lastCheck, new Date(T0 + at * 1000).toISOString());
      }
    });
  }

  it('says why a failure was ignored', () => {
    const t = new HealthTracker(rules(), T0);
    assert.equal(t.record({ healthy: false, message: 'connect ECONNREFUSED' }, T0 + 1000).message, 'ignored during the 5 s grace period: connect ECONNREFUSED');
    assert.equal(t.record({ healthy: false, message: 'connect ECONNREFUSED' }, T0 + 6000).message, 'connect ECONNREFUSED');
  });

  it('a healthy answer that came after the timeout is a failure', () => {
    const t = new HealthTracker(rules({ gracePeriodSeconds: 0, maxConsecutiveFailures: 1 }), T0);
    const s = t.record({ healthy: true, message: 'HTTP 200' }, T0 + 3500, T0 + 2000);
    assert.equal(s.health, 'Unhealthy');
    assert.equal(s.message, 'answered after 1500 ms, over the 1 s timeout: HTTP 200');
  });

  it('schedules the first check one interval after start, then one interval after each check began', () => {
    const t = new HealthTracker(rules({ intervalSeconds: 10 }), T0);
    assert.equal(t.nextCheckAt(), T0 + 10_000);
    t.record({ healthy: true, message: '' }, T0 + 10_300, T0 + 10_000);
    assert.equal(t.nextCheckAt(), T0 + 20_000);
    assert.equal(t.timeoutMs, 1000);
  });

  it('refuses rules it cannot follow, with the value', () => {
    assert.throws(() => new HealthTracker(rules({ intervalSeconds: 0 }), T0), { name: 'RangeError', message: 'intervalSeconds must be positive. Got: 0' });
    assert.throws(() => new HealthTracker(rules({ timeoutSeconds: -1 }), T0), { name: 'RangeError', message: 'timeoutSeconds must be positive. Got: -1' });
  });
});
