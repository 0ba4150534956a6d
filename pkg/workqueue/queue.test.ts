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

  it('wakes a waiting worker', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
  });

  it('delays with addAfter, earliest delay wins', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 200);
    q.addAfter('a', 20);
    const t0 = Date.now();
    assert.equal(await q.get(), 'a');
    const dt = Date.now() - t0;
    assert.ok(dt >= 15 && dt < 150, `took ${dt} ms`);
  });

  it('backs off per key exponentially and forgets', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40 });
    q.addRateLimited('a');
    q.addRateLimited('a');
    q.addRateLimited('a');
    assert.equal(q.retries('a'), 3);
    q.forget('a');
    assert.equal(q.retries('a'), 0);
    q.shutdown();
  });

  it('returns undefined to workers after shutdown', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.shutdown();
    assert.equal(await p, undefined);
    q.add('z');
    assert.equal(q.length, 0);
  });
});
