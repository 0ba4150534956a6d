import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './queue.js';
import { runWorkers } from './workers.js';

const until = async (what: string, f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('runWorkers', () => {
  it('n workers at once; one key never twice at once; resolves when the queue shuts down', async () => {
    const q = new WorkQueue();
    let running = 0;
    let most = 0;
    const busy = new Set<string>();
    const handled: string[] = [];
    let twice = false;
    const done = runWorkers(q, {
      workers: 3,
      handle: async (key) => {
        if (busy.has(key)) twice = true;
        busy.add(key);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        busy.delete(key);
        handled.push(key);
      },
    });
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    q.add('k0'); // again while waiting or being handled
    await until('all handled', () => new Set(handled).size === 10 && running === 0 && q.length === 0);
    assert.equal(most, 3);
    assert.equal(twice, false);
    let resolved = false;
    void done.then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false, 'workers wait for more keys');
    q.shutdown();
    await done;
  });

  it('a throw is retried with the key backoff; success forgets it', async () => {
    const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 10 });
    let calls = 0;
    const errors: string[] = [];
    const done = runWorkers(q, {
      workers: 1,
      handle: async () => {
        if (++calls < 3) throw new Error(`fail ${calls}`);
      },
      onError: (key, e) => (errors.push(`${key} ${(e as Error).message} after ${q.retries(key)}`), true),
    });
    q.add('a');
    await until('handled 3 times', () => calls === 3);
    await until('forgotten', () => q.retries('a') === 0);
    assert.deepEqual(errors, ['a fail 1 after 0', 'a fail 2 after 1']);
    q.shutdown();
    await done;
  });

  it('onError false drops the key; an onError that throws keeps key and worker', async () => {
    const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 10 });
    const calls: string[] = [];
    const done = runWorkers(q, {
      workers: 1,
      handle: async (key) => {
        calls.push(key);
        if (calls.filter((k) => k === key).length === 1) throw new Error('first time');
      },
      onError: (key) => {
        if (key === 'buggy') throw new Error('onError itself failed');
        return false;
      },
    });
    q.add('drop');
    q.add('buggy');
    await until('buggy retried', () => calls.filter((k) => k === 'buggy').length === 2);
    // a retry of drop would have been due before buggy's (same backoff, queued first)
    assert.deepEqual(calls, ['drop', 'buggy', 'buggy'], 'drop was not retried');
    q.shutdown();
    await done;
  });

  it('{requeueAfter} adds the key again after that long', async () => {
    const q = new WorkQueue();
    const at: number[] = [];
    const done = runWorkers(q, {
      workers: 2,
      handle: async () => {
        at.push(Date.now());
        if (at.length === 1) return { requeueAfter: 30 };
      },
    });
    q.add('t');
    await until('handled twice', () => at.length === 2);
    assert.ok(at[1]! - at[0]! >= 25, `came back after ${at[1]! - at[0]!} ms`);
    q.shutdown();
    await done;
  });
});
