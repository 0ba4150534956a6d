import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { isApiError } from '../api/errors.js';
import { DEFAULT_MAX_TXN_OPS, splitTxns, Txn } from './txn.js';

/** A client that must never be called: an oversize transaction is refused before it is sent. */
const neverCalled = { kv: { txn: () => assert.fail('an oversize transaction was sent to etcd') } } as unknown as Etcd3;
const FENCE = { key: '/stowage/leader/1', createRevision: '7' };
const txn = () => new Txn(neverCalled).fence(FENCE);
/** A status write as the loops make it: two compares (status revision, object exists), one put. */
const statusWrite = (t: Txn, i: number) => t.ifModRev(`/s/${i}`, '5').compareExists(`/o/${i}`).put(`/s/${i}`, '{}');

describe('Txn budget', () => {
  it("counts compares and failure reads against etcd's limit, not only writes", () => {
    const t = txn();
    for (let i = 0; i < 63; i++) statusWrite(t, i);
    assert.equal(t.compareCount, 127); // the fence and 63 x 2
    assert.equal(t.size, 63);
    assert.equal(t.fits(), true);
    statusWrite(t, 63);
    assert.equal(t.size, 64); // 64 writes: well under 128 ...
    assert.equal(t.fits(), false); // ... but 129 compares
  });

  it('refuses to send an oversize transaction, naming the limit and the first key', async () => {
    const t = txn();
    for (let i = 0; i < 64; i++) statusWrite(t, i);
    await assert.rejects(t.commit(), (e) => {
      assert.ok(isApiError(e, 'Refused'));
      assert.equal(e.message, "transaction over etcd's limit of 128 operations (129 compares, 64 writes), not sent; first key /s/0");
      assert.equal(e.retryable, false);
      return true;
    });
  });

  it('takes back what was added since a mark', () => {
    const t = txn();
    statusWrite(t, 0);
    const m = t.mark();
    statusWrite(t, 1);
    t.reset(m);
    assert.equal(t.compareCount, 3);
    assert.equal(t.size, 1);
  });

  it('carries one fence only', () => {
    assert.throws(() => txn().fence({ key: '/stowage/leader/2', createRevision: '9' }), /one fence only/);
    assert.doesNotThrow(() => txn().fence(FENCE));
  });

  it('a raised limit (--etcd-max-txn-ops) is honoured', () => {
    const t = new Txn(neverCalled, 512).fence(FENCE);
    for (let i = 0; i < 200; i++) statusWrite(t, i);
    assert.equal(t.fits(), true);
  });
});

describe('splitTxns', () => {
  for (const n of [0, 1, 63, 64, 65, 200, 1000]) {
    it(`${n} status writes: every transaction fits, each carries the fence, nothing lost or doubled`, () => {
      const items = Array.from({ length: n }, (_, i) => i);
      const txns = splitTxns(items, txn, statusWrite);
      for (const x of txns) {
        assert.ok(x.txn.fits());
        assert.ok(x.txn.compareCount <= DEFAULT_MAX_TXN_OPS);
        assert.equal(x.txn.compareCount, 1 + 2 * x.items.length);
      }
      assert.deepEqual(txns.flatMap((x) => x.items), items);
      assert.equal(txns.length, Math.ceil(n / 63));
    });
  }

  it('a reserve keeps room for a last write of each transaction (an event counting its items)', () => {
    const items = Array.from({ length: 200 }, (_, i) => i);
    const txns = splitTxns(items, () => txn().reserve(2), statusWrite);
    for (const x of txns) {
      assert.equal(x.txn.compareCount, 1 + 2 * x.items.length);
      // the last write: two more compares, as much as was kept
      x.txn.reserve(0).ifAbsent('/e/1').compareExists('/e/2').put('/e/1', '{}');
      assert.ok(x.txn.fits(), `${x.items.length} items and the last write`);
    }
    assert.equal(txns[0]!.items.length, 62);
    assert.deepEqual(txns.flatMap((x) => x.items), items);
  });

  it('refuses one item bigger than a whole transaction', () => {
    const huge = (t: Txn) => {
      for (let i = 0; i < 70; i++) statusWrite(t, i);
    };
    assert.throws(() => splitTxns([1], txn, huge), (e) => isApiError(e, 'Refused') && /one write needs more than etcd's limit of 128/.test(e.message));
  });
});
