/** GroupCommit: writes of one turn share transactions; each keeps its own outcome. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import { statusKey } from './keys.js';
import { Store } from './store.js';
import type { Txn } from './txn.js';

const FENCE = { key: '/stowage/leader/1', createRevision: '7' };
const OTHER = { key: '/stowage/leader/2', createRevision: '9' };

interface Sent {
  compares: string[];
  puts: string[];
}

/**
 * A fake etcd: records each transaction; one whose compares name a key in
 * `conflicts` fails (reading back the fence, which still holds); `broken`
 * makes every call throw.
 */
function fakeEtcd(conflicts = new Set<string>(), broken = false) {
  const sent: Sent[] = [];
  let rev = 100;
  const client = {
    kv: {
      txn: async (req: { compare: { key: Buffer }[]; success: { request_put?: { key: Buffer } }[] }) => {
        if (broken) throw new Error('14 UNAVAILABLE: connect ECONNREFUSED');
        const compares = req.compare.map((c) => c.key.toString());
        sent.push({ compares, puts: req.success.map((o) => String(o.request_put?.key)) });
        const ok = !compares.some((k) => conflicts.has(k));
        const kvs = compares.filter((k) => k.startsWith('/stowage/leader/')).map((k) => ({ key: Buffer.from(k), create_revision: k === FENCE.key ? '7' : '9', mod_revision: '7' }));
        return { succeeded: ok, header: { revision: String(++rev) }, responses: ok ? [] : [{ response_range: { kvs } }] };
      },
    },
  } as unknown as Etcd3;
  return { store: new Store(client), sent };
}

/** A status write as the loops make it: two compares, one put. */
const statusWrite = (i: number) => (t: Txn) => t.ifModRev(`/s/${i}`, '5').compareExists(`/o/${i}`).put(`/s/${i}`, '{}');

describe('GroupCommit', () => {
  it('writes asked for in one turn share one transaction, each resolving with it', async () => {
    const { store, sent } = fakeEtcd();
    const rs = await Promise.all([0, 1, 2].map((i) => store.group.commit(FENCE, statusWrite(i))));
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.puts, ['/s/0', '/s/1', '/s/2']);
    assert.equal(sent[0]!.compares[0], FENCE.key, 'the fence once, first');
    assert.ok(rs.every((r) => r.succeeded && r.revision === '101'));
  });

  it("splits a big turn within etcd's budget, never splitting a write", async () => {
    const { store, sent } = fakeEtcd();
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => store.group.commit(FENCE, statusWrite(i))));
    assert.equal(sent.length, 2); // 63 writes of 2 compares each fit beside the fence
    assert.deepEqual(sent.map((t) => t.puts.length), [63, 37]);
    for (const t of sent) assert.ok(t.compares.length <= 128);
    assert.ok(rs.every((r) => r.succeeded));
  });

  it('a failed compare fails no one else: each write of that transaction is sent again alone', async () => {
    const { store, sent } = fakeEtcd(new Set(['/s/1']));
    const rs = await Promise.all([0, 1, 2].map((i) => store.group.commit(FENCE, statusWrite(i))));
    assert.deepEqual(rs.map((r) => r.succeeded), [true, false, true]);
    assert.equal(sent.length, 4); // together, then each alone
    assert.deepEqual(sent.slice(1).map((t) => t.puts).sort(), [['/s/0'], ['/s/1'], ['/s/2']]);
    assert.ok(rs[1]!.current.has(FENCE.key), 'the failed write reads back its own compares');
  });

  it('a key written by two parts goes in two transactions (etcd refuses a key twice in one)', async () => {
    const { store, sent } = fakeEtcd();
    await Promise.all([store.group.commit(FENCE, statusWrite(1)), store.group.commit(FENCE, statusWrite(1)), store.group.commit(FENCE, statusWrite(2))]);
    assert.equal(sent.length, 2);
    for (const t of sent) assert.equal(new Set(t.puts).size, t.puts.length, `a key twice in ${t.puts}`);
    assert.deepEqual(sent.flatMap((t) => t.puts).sort(), ['/s/1', '/s/1', '/s/2']);
  });

  it('writes under different fences (or none) never share a transaction', async () => {
    const { store, sent } = fakeEtcd();
    await Promise.all([store.group.commit(FENCE, statusWrite(0)), store.group.commit(OTHER, statusWrite(1)), store.group.commit(undefined, statusWrite(2))]);
    assert.equal(sent.length, 3);
    assert.deepEqual(sent.map((t) => t.compares[0]).sort(), [FENCE.key, OTHER.key, '/s/2'].sort());
  });

  it('a write too big for any transaction is refused alone; the others go', async () => {
    const { store, sent } = fakeEtcd();
    const huge = (t: Txn) => {
      for (let i = 0; i < 70; i++) statusWrite(1000 + i)(t);
    };
    const [a, b] = await Promise.allSettled([store.group.commit(FENCE, huge), store.group.commit(FENCE, statusWrite(0))]);
    assert.ok(a.status === 'rejected' && isApiError(a.reason, 'Refused'));
    assert.ok(b.status === 'fulfilled' && b.value.succeeded);
    assert.deepEqual(sent.map((t) => t.puts), [['/s/0']]);
  });

  it('etcd unreachable: every write of the transaction gets the error', async () => {
    const { store } = fakeEtcd(new Set(), true);
    const rs = await Promise.allSettled([0, 1].map((i) => store.group.commit(FENCE, statusWrite(i))));
    assert.ok(rs.every((r) => r.status === 'rejected' && isApiError(r.reason, 'Unavailable')));
  });

  it('putStatusGrouped answers as putStatus does: the revision, or Conflict', async () => {
    const { store } = fakeEtcd(new Set([statusKey(lookupKind('JobRun')!, 'default', 'b')]));
    const kind = lookupKind('JobRun')!;
    const [a, b] = await Promise.allSettled([
      store.putStatusGrouped(kind, 'default', 'a', { state: 'Running' }, '5', { fence: FENCE }),
      store.putStatusGrouped(kind, 'default', 'b', { state: 'Running' }, '5', { fence: FENCE }),
    ]);
    assert.ok(a.status === 'fulfilled' && /^\d+$/.test(a.value));
    assert.ok(b.status === 'rejected' && (isApiError(b.reason, 'Conflict') || isApiError(b.reason, 'NotFound')));
  });
});
