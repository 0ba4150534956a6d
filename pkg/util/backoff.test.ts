import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, jitteredDelay, retry } from './backoff.js';

describe('backoff (full jitter)', () => {
  it('each wait lies in [0, min(max, initial x 2^n)), the waits are not all alike, and reset starts over', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 100 });
    const seen: number[] = [];
    for (let n = 0; n < 40; n++) {
      const ms = b.next();
      assert.ok(ms >= 0 && ms < Math.min(100, 10 * 2 ** n), `wait ${n}: ${ms}`);
      seen.push(ms);
    }
    assert.equal(b.attempts, 40);
    assert.ok(new Set(seen).size > 5, 'jittered, not constant');
    b.reset();
    assert.equal(b.attempts, 0);
    assert.ok(b.next() < 10);
  });

  it('jitteredDelay keeps the same bounds for per-key state kept elsewhere', () => {
    for (let n = 0; n < 20; n++) {
      const ms = jitteredDelay(n, { initialMs: 5, maxMs: 60_000 });
      assert.ok(ms >= 0 && ms < Math.min(60_000, 5 * 2 ** n));
    }
  });

  it('retry runs until success, telling each failure, or gives up when stopped', async () => {
    let calls = 0;
    const errors: number[] = [];
    const v = await retry(async () => (++calls < 3 ? Promise.reject(new Error('no')) : 'yes'), { initialMs: 1, maxMs: 2, onError: (_e, _ms, n) => errors.push(n) });
    assert.deepEqual([v, calls, errors], ['yes', 3, [1, 2]]);
    let stop = false;
    const gave = await retry(async () => {
      stop = true;
      throw new Error('never');
    }, { initialMs: 1, maxMs: 2, stopped: () => stop });
    assert.equal(gave, undefined);
  });
});
