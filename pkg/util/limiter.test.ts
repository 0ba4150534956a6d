import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachLimit, Limiter, mapLimit } from './limiter.js';

/** A task the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((r, j) => ((open = r), (fail = j)));
  return { promise, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Limiter', () => {
  it('runs at most n at once, the rest in the order they came', async () => {
    const l = new Limiter(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const results = Promise.allSettled(gates.map((g, i) => l.run(async () => (started.push(i), await g.promise, i))));
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(l.inFlight, 2);
    gates[1]!.open();
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]!.fail(new Error('boom'));
    await tick();
    assert.deepEqual(started, [0, 1, 2, 3], 'a failure gives its slot back too');
    gates[2]!.open();
    gates[3]!.open();
    assert.deepEqual((await results).map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    assert.equal(l.inFlight, 0);
  });

  it('acquire holds a slot until released; a second release does nothing', async () => {
    const l = new Limiter(1);
    const release = await l.acquire();
    let second = false;
    const waiting = l.acquire().then((r) => ((second = true), r));
    await tick();
    assert.equal(second, false, 'no slot while the first is held');
    release();
    release();
    const r2 = await waiting;
    assert.equal(l.inFlight, 1);
    let third = false;
    const next = l.acquire().then(() => (third = true));
    await tick();
    assert.equal(third, false, 'the double release did not free a second slot');
    r2();
    await next;
  });

  it('refuses a size that is not a positive whole number; Infinity is no limit', () => {
    assert.throws(() => new Limiter(0), { message: 'a limiter needs at least 1 slot, a whole number or Infinity. Got: 0' });
    assert.throws(() => new Limiter(1.5), RangeError);
    assert.throws(() => new Limiter(NaN), RangeError);
    assert.equal(new Limiter(Infinity).n, Infinity);
  });
});

describe('mapLimit / forEachLimit', () => {
  it('answers in the order of the items, never more than n at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 3, async (ms, i) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return `${i}:${ms}`;
    });
    assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
    assert.equal(most, 3);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });

  it('after a failure starts nothing more, waits for what runs, then throws the first error', async () => {
    const started: number[] = [];
    const slow = gate();
    let slowDone = false;
    const p = forEachLimit([0, 1, 2, 3, 4], 2, async (i) => {
      started.push(i);
      if (i === 0) {
        await slow.promise;
        slowDone = true;
      }
      if (i === 1) throw new Error('one failed');
    });
    let settled = false;
    void p.catch(() => (settled = true));
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(settled, false, 'still waiting for the running item');
    slow.open();
    await assert.rejects(p, { message: 'one failed' });
    assert.equal(slowDone, true);
    assert.deepEqual(started, [0, 1], 'nothing started after the failure');
  });
});
