import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { isApiError } from '../../pkg/api/errors.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { writeTaskStatuses } from '../../pkg/store/task-status-batch.js';

const svcKind = lookupKind('service')!;
const svc = (name: string, instances = 1): AnyResource => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances, image: 'x' },
});

describe('store against real etcd', () => {
  const db = useEtcdStore();

  it('creates once, then refuses a second create', async () => {
    const s = await db.store.create(svcKind, svc('a'));
    assert.ok(s.object.metadata.uid);
    assert.equal(s.object.metadata.generation, 1);
    await assert.rejects(db.store.create(svcKind, svc('a')), (e) => isApiError(e, 'AlreadyExists'));
  });

  it('updates with compare-and-swap and names both versions on a stale write', async () => {
    const s = await db.store.create(svcKind, svc('b'));
    const u = await db.store.update(svcKind, svc('b', 3), s, s.specRev);
    assert.equal(u.object.metadata.generation, 2);
    assert.equal(u.object.metadata.uid, s.object.metadata.uid);
    await assert.rejects(db.store.update(svcKind, svc('b', 4), s, s.specRev), (e) => {
      assert.ok(isApiError(e, 'Conflict'));
      assert.match(e.message, new RegExp(`you sent resourceVersion ${s.specRev}, the current one is ${u.specRev}`));
      return true;
    });
  });

  it('writes status apart from spec, with its own CAS', async () => {
    const s = await db.store.create(svcKind, svc('c'));
    const r1 = await db.store.putStatus(svcKind, 'default', 'c', { instances: 1 }, '0');
    await assert.rejects(db.store.putStatus(svcKind, 'default', 'c', { instances: 2 }, '0'), (e) => isApiError(e, 'Conflict'));
    // a spec update does not disturb status, and vice versa
    await db.store.update(svcKind, svc('c', 5), s, s.specRev);
    await db.store.putStatus(svcKind, 'default', 'c', { instances: 5 }, r1);
    const got = await db.store.get(svcKind, 'default', 'c');
    assert.deepEqual(got?.object.status, { instances: 5 });
    assert.equal((got?.object.spec as { instances: number }).instances, 5);
    await assert.rejects(db.store.putStatus(svcKind, 'default', 'nope', {}, '0'), (e) => isApiError(e, 'NotFound'));
  });

  it('lists at one revision and removes object with status', async () => {
    const l = await db.store.list(svcKind, 'default');
    assert.deepEqual(l.items.map((i) => i.object.metadata.name).sort(), ['a', 'b', 'c']);
    assert.ok(Number(l.revision) > 0);
    await db.store.remove(svcKind, 'default', 'c');
    assert.equal(await db.store.get(svcKind, 'default', 'c'), undefined);
    const raw = await db.client.getAll().prefix('/stowage/status/services/default/c').keys();
    assert.deepEqual(raw, []);
  });

  it('task status batches asked for at once share a transaction; a batch that conflicts fails alone', async () => {
    const TASK = lookupKind('Task')!;
    const tasks: { uid: string; name: string; rev: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const t = await db.store.create(TASK, { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: `sb-${i}`, namespace: 'default' }, spec: { image: 'x', resources: { cpus: 0.1, mem: 8 } } } as AnyResource);
      const rev = await db.store.putStatus(TASK, 'default', `sb-${i}`, { state: 'Bound', nodeName: 'n1' }, '0');
      tasks.push({ uid: t.object.metadata.uid!, name: `sb-${i}`, rev });
    }
    const batch = (from: number, to: number, stale = false) =>
      tasks.slice(from, to).map((t) => ({ uid: t.uid, namespace: 'default', name: t.name, status: { state: 'Running' as const, nodeName: 'n1' }, revision: stale ? '1' : t.rev }));
    const sent = db.store.group.sent;
    // three nodes' reports in one turn: one transaction
    const [a, b, c] = await Promise.all([writeTaskStatuses(db.store, batch(0, 2)), writeTaskStatuses(db.store, batch(2, 4)), writeTaskStatuses(db.store, batch(4, 6))]);
    assert.equal(db.store.group.sent - sent, 1, 'the three batches went in one transaction');
    for (const r of [...a, ...b, ...c]) assert.equal(r.result, 'written');
    // a stale batch beside a good one: the good one is written, the stale one answers conflict
    const fresh = await db.store.get(TASK, 'default', 'sb-0');
    const [good, bad] = await Promise.all([
      writeTaskStatuses(db.store, [{ uid: tasks[0]!.uid, namespace: 'default', name: 'sb-0', status: { state: 'Running', nodeName: 'n1', ready: true }, revision: fresh!.statusRev }]),
      writeTaskStatuses(db.store, batch(2, 4, true)),
    ]);
    assert.equal(good[0]!.result, 'written');
    assert.deepEqual(bad.map((r) => r.result), ['conflict', 'conflict']);
  });

  it('reads asked for at once share a read-only transaction, each with its own answer', async () => {
    const NODE = lookupKind('Node')!;
    for (let i = 0; i < 70; i++) {
      await db.store.create(NODE, { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: `gr-${i}` }, spec: {} } as AnyResource);
      if (i % 2 === 0) await db.store.putStatus(NODE, undefined, `gr-${i}`, { state: 'Ready', n: i }, '0');
    }
    const reader = () => (db.store as unknown as { groupReader?: { sent: number } }).groupReader?.sent ?? 0;
    await db.store.getGrouped(NODE, undefined, 'gr-0');
    const before = reader();
    // 70 reads and one of nothing: 71 x 2 ranges is over 128 operations, so two transactions
    const names = [...Array.from({ length: 70 }, (_, i) => `gr-${i}`), 'gr-none'];
    const got = await Promise.all(names.map((n) => db.store.getGrouped(NODE, undefined, n)));
    assert.equal(reader() - before, 2);
    for (let i = 0; i < 70; i++) {
      assert.equal(got[i]?.object.metadata.name, `gr-${i}`);
      assert.deepEqual(got[i]?.object.status, i % 2 === 0 ? { state: 'Ready', n: i } : undefined);
      const alone = await db.store.get(NODE, undefined, `gr-${i}`);
      assert.equal(got[i]?.statusRev, alone?.statusRev);
    }
    assert.equal(got[70], undefined);
  });
});

