import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReadinessTracker, type ReadinessRules } from './readiness.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (sec: number) => new Date(T0 + sec * 1000).toISOString();
const rules = (over: Partial<ReadinessRules> = {}): ReadinessRules => ({ intervalSeconds: 2, timeoutSeconds: 1, ...over });

/** [seconds after task start, probe ok?] -> [ready, next check (s) or undefined] after it. */
type Step = [at: number, ok: boolean, want: [boolean, number | undefined]];

const table: { name: string; steps: Step[] }[] = [
  {
    name: 'not ready until a check passes, then ready with no further checks',
    steps: [
      [0, false, [false, 2]],
      [2, false, [false, 4]],
      [4, true, [true, undefined]],
    ],
  },
  {
    name: 'ready at the first check',
    steps: [[0, true, [true, undefined]]],
  },
  {
    name: 'a failure after it became ready changes nothing (readiness is not liveness)',
    steps: [
      [0, true, [true, undefined]],
      [2, false, [true, undefined]],
    ],
  },
];

describe('ReadinessTracker', () => {
  for (const tc of table) {
    it(tc.name, () => {
      const t = new ReadinessTracker(rules(), T0);
      assert.deepEqual(t.state(), { ready: false });
      assert.equal(t.nextCheckAt(), T0, 'the first check is due at task start');
      let readyAt: string | undefined;
      for (const [at, ok, [ready, next]] of tc.steps) {
        const s = t.record({ healthy: ok, message: ok ? 'HTTP 200' : 'HTTP 503' }, T0 + at * 1000);
        readyAt ??= ok ? iso(at) : undefined;
        assert.equal(s.ready, ready, `ready after the check at ${at}s`);
        assert.equal(s.readyAt, readyAt, `readyAt after the check at ${at}s`);
        assert.equal(t.nextCheckAt(), next === undefined ? undefined : T0 + next * 1000, `next check after the one at ${at}s`);
      }
    });
  }

  it('reports the last probe\'s message and when it finished', () => {
    const t = new ReadinessTracker(rules(), T0);
    assert.deepEqual(t.record({ healthy: false, message: 'GET /ready: HTTP 404' }, T0 + 300, T0), {
      ready: false,
      lastCheck: iso(0.3),
      message: 'GET /ready: HTTP 404',
    });
    assert.deepEqual(t.record({ healthy: true, message: 'GET /ready: HTTP 200' }, T0 + 2100, T0 + 2000), {
      ready: true,
      readyAt: iso(2.1),
      lastCheck: iso(2.1),
      message: 'GET /ready: HTTP 200',
    });
  });

  it('a ready answer that came after the timeout is a failure', () => {
    const t = new ReadinessTracker(rules(), T0);
    const s = t.record({ healthy: true, message: 'HTTP 200' }, T0 + 1500, T0);
    assert.equal(s.ready, false);
    assert.equal(s.message, 'answered after 1500 ms, over the 1 s timeout: HTTP 200');
    assert.equal(t.nextCheckAt(), T0 + 2000, 'one interval after the check began');
    assert.equal(t.timeoutMs, 1000);
  });

  it('refuses rules it cannot follow, with the value', () => {
    assert.throws(() => new ReadinessTracker(rules({ intervalSeconds: 0 }), T0), { name: 'RangeError', message: 'intervalSeconds must be positive. Got: 0' });
    assert.throws(() => new ReadinessTracker(rules({ timeoutSeconds: -1 }), T0), { name: 'RangeError', message: 'timeoutSeconds must be positive. Got: -1' });
  });
});
