import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TooManyRequestsError } from '../api/errors.js';
import { RateLimiter } from './rate-limit.js';

const refused = (f: () => unknown): TooManyRequestsError => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TooManyRequestsError);
    assert.equal(e.status, 429);
    return e;
  }
  assert.fail('not refused');
};

describe('per-user limits', () => {
  it('a token bucket per user: the burst, then the rate, with Retry-After', () => {
    let now = 0;
    const l = new RateLimiter({ rps: 2, burst: 3, maxWatches: 0 }, () => now);
    for (let i = 0; i < 3; i++) l.admit('bob');
    const e = refused(() => l.admit('bob'));
    assert.equal(e.retryAfterSeconds, 1);
    assert.equal(e.message, 'user bob is over the request rate limit (--rate-limit 2 per second, burst 3); retry after 1 s');
    l.admit('alice'); // a bucket of her own
    now += 500; // one token back
    l.admit('bob');
    refused(() => l.admit('bob'));
    now += 10_000; // refilled to the burst, not beyond
    for (let i = 0; i < 3; i++) l.admit('bob');
    refused(() => l.admit('bob'));
    const slow = new RateLimiter({ rps: 0.1, burst: 1, maxWatches: 0 }, () => now);
    slow.admit('x');
    assert.equal(refused(() => slow.admit('x')).retryAfterSeconds, 10);
  });

  it('0 turns the rate off', () => {
    const l = new RateLimiter({ rps: 0, burst: 1, maxWatches: 0 }, () => 0);
    for (let i = 0; i < 1000; i++) l.admit('bob');
  });

  it('caps open watch streams per user; a release (once) frees a slot', () => {
    const l = new RateLimiter({ rps: 0, burst: 1, maxWatches: 2 });
    const a = l.watchStarted('bob');
    l.watchStarted('bob');
    l.watchStarted('carol');
    const e = refused(() => l.watchStarted('bob'));
    assert.equal(e.message, 'user bob has 2 watch streams open, the most allowed (--max-watches 2); close one, or retry after 5 s');
    a();
    a(); // twice is once
    l.watchStarted('bob');
    refused(() => l.watchStarted('bob'));
  });
});
