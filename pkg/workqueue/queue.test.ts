import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('processes a key added many times while waiting once', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.length, 0);
  });

  it('never hands out a key being processed; re-queues it on done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a'); // arrives while processing
    assert.equal(q.length, 0, 'not queued while processing');
    q.done(k!);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'a');
  });

  it('reports how long each key waited in the queue: from when it was queued to when a worker took it', async () => {
    let now = 1000;
    const waits: number[] = [];
    const q = new WorkQueue({ now: () => now, onWait: (s) => waits.push(s) });
    q.add('a');
    now += 250;
    q.add('a'); // already waiting: its wait goes on from the first add
    q.add('b');
    now += 500;
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.deepEqual(waits, [0.75, 0.5]);
    q.add('a'); // while 'a' is processed: queued only when its worker is done
    now += 1000;
    q.done('a');
    now += 100;
    assert.equal(await q.get(), 'a');
    assert.deepEqual(waits.at(-1), 0.1);
    const idle = q.get(); // a worker already waiting takes the key at once
    q.add('c');
    assert.equal(await idle, 'c');
    assert.deepEqual(waits.at(-1), 0);
  });

  it('wakes a waiting worker', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
  });

  it('delays with addAfter, earliest delay wins', async () => {
    // 20 ms against a minute: a bound that holds on a loaded machine tells them apart.
    const q = new WorkQueue();
    q.addAfter('a', 60_000);
    q.addAfter('a', 20); // earlier: replaces the minute
    q.addAfter('b', 20);
    q.addAfter('b', 60_000); // later: ignored
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const got = await Promise.race([Promise.all([q.get(), q.get()]), new Promise((r) => (timer = setTimeout(r, 20_000, 'timed out')))]);
    clearTimeout(timer);
    const dt = Date.now() - t0;
    assert.deepEqual(got, ['a', 'b']);
    assert.ok(dt >= 15, `took ${dt} ms`);
    q.shutdown();
  });

  it('backs off per key exponentially, never past the cap, and forgets', () => {
    // The delays asked of addAfter, per key. A delay may be jittered anywhere in
    // [0, min(cap, base * 2^n)] for the n-th failure in a row; these checks hold
    // for a fixed delay at that bound and for full jitter alike.
    const BASE = 10;
    const CAP = 160;
    const ATTEMPTS = 12; // 10 * 2^11 = 20,480 ms without the cap
    const KEYS = 200; // enough that jitter cannot keep every delay in the lower half of its range (odds 2^-200)
    const q = new WorkQueue({ baseDelayMs: BASE, maxDelayMs: CAP });
    const delays = new Map<string, number[]>();
    q.addAfter = (key, ms) => void (delays.get(key) ?? delays.set(key, []).get(key)!).push(ms);
    const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
    for (let n = 0; n < ATTEMPTS; n++) for (const k of keys) q.addRateLimited(k);
    assert.equal(q.retries('k0'), ATTEMPTS);

    const bound = (n: number) => Math.min(CAP, BASE * 2 ** n);
    for (let n = 0; n < ATTEMPTS; n++) {
      const at = keys.map((k) => delays.get(k)![n]!);
      for (const d of at) assert.ok(d >= 0 && d <= bound(n), `failure ${n + 1}: delay ${d} ms outside [0, ${bound(n)}]`);
      // It grows: some delay of failure n is past the bound of failure n-1 (or past half the cap once capped).
      const floor = n === 0 ? 0 : bound(n) > bound(n - 1) ? bound(n - 1) : CAP / 2;
      assert.ok(Math.max(...at) > floor, `failure ${n + 1}: no delay above ${floor} ms (max ${Math.max(...at)})`);
    }

    for (const k of keys) q.forget(k);
    assert.equal(q.retries('k0'), 0);
    for (const k of keys) q.addRateLimited(k);
    for (const k of keys) {
      const d = delays.get(k)![ATTEMPTS]!;
      assert.ok(d >= 0 && d <= BASE, `after forget: delay ${d} ms, want at most the base ${BASE}`);
    }
    q.shutdown();
  });

  describe('the age of the oldest retried key', () => {
    const clock = () => {
      let t = 1_000_000;
      return { now: () => t, step: (ms: number) => (t += ms) };
    };

    it('counts from the first failure after a success, oldest key first, until forget', () => {
      const c = clock();
      const q = new WorkQueue({ now: c.now });
      assert.equal(q.oldestRetryAgeMs(c.now()), 0, 'nothing failing');
      q.addRateLimited('a');
      c.step(1000);
      q.addRateLimited('b');
      q.addRateLimited('a'); // a second failure does not restart a's clock
      c.step(500);
      assert.equal(q.oldestRetryAgeMs(c.now()), 1500);
      q.forget('a'); // a succeeded
      assert.equal(q.oldestRetryAgeMs(c.now()), 500, 'b is the oldest now');
      q.addRateLimited('a'); // a fails again: a new clock
      c.step(100);
      assert.equal(q.oldestRetryAgeMs(c.now()), 600);
      q.forget('b');
      assert.equal(q.oldestRetryAgeMs(c.now()), 100);
      q.forget('a');
      assert.equal(q.oldestRetryAgeMs(c.now()), 0);
      q.shutdown();
    });

    it('keeps counting while a retry is pending, stops when the key is dropped', async () => {
      const c = clock();
      const q = new WorkQueue({ now: c.now, baseDelayMs: 1, maxDelayMs: 1 });
      q.add('a');
      assert.equal(await q.get(), 'a');
      q.addRateLimited('a'); // failed: retry pending
      q.done('a');
      c.step(2000);
      assert.equal(q.oldestRetryAgeMs(c.now()), 2000, 'a retry is pending');
      assert.equal(await q.get(), 'a', 'the retry came');
      q.done('a'); // neither retried nor forgotten: dropped
      assert.equal(q.oldestRetryAgeMs(c.now()), 0, 'a dropped key is not failing');

      q.add('b');
      assert.equal(await q.get(), 'b');
      q.addRateLimited('b');
      q.add('b'); // changed meanwhile: it will be processed again
      q.done('b');
      assert.equal(q.oldestRetryAgeMs(c.now() + 10), 10, 'a key queued again is still failing');
      q.shutdown();
      assert.equal(q.oldestRetryAgeMs(c.now() + 10), 0, 'shutdown drops every key');
    });
  });

  it('returns undefined to workers after shutdown', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.shutdown();
    assert.equal(await p, undefined);
    q.add('z');
    assert.equal(q.length, 0);
  });
  it('retryFailingNow hands out every key in backoff at once, with its backoff reset', async () => {
    const q = new WorkQueue({ baseDelayMs: 60_000, maxDelayMs: 60_000 });
    q.add('a');
    const k = (await q.get())!;
    q.done(k);
    q.addRateLimited(k);
    q.addRateLimited(k);
    assert.equal(q.length, 0, 'waiting out its backoff');
    q.retryFailingNow();
    assert.equal(q.length, 1);
    assert.equal(q.retries('a'), 0);
    assert.equal(await q.get(), 'a');
    q.shutdown();
  });
});
