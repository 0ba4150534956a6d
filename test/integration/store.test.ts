import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { isApiError } from '../../pkg/api/errors.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import type { AnyResource } from '../../pkg/api/types.js';

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
});
