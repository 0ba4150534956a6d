import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { Informer, type InformerEvent } from '../../pkg/informer/informer.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { specKey, statusKey } from '../../pkg/store/keys.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { startProxy } from '../helpers/proxy.js';
import { retry, until } from '../helpers/wait.js';

const SVC = lookupKind('service')!;
const svc = (name: string, instances = 1): AnyResource => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances, image: 'x' },
});


describe('informer against real etcd', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let inf: Informer;
  const events: InformerEvent<AnyResource>[] = [];

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    await store.create(SVC, svc('pre'));
    inf = new Informer(store, SVC, nopLogger);
    inf.onChange((e) => events.push(e));
    await inf.start();
  });
  after(async () => {
    await inf.stop();
    client.close();
    etcd.stop();
  });

  it('lists what exists, then sees creates, status writes and deletes', async () => {
    assert.ok(inf.hasSynced);
    assert.ok(inf.get('default/pre'));
    const s = await store.create(SVC, svc('a'));
    await until('ADDED a', () => inf.get('default/a') !== undefined, 5000);
    await store.putStatus(SVC, 'default', 'a', { running: 2 }, '0');
    await until('status', () => (inf.get('default/a')?.object.status as { running?: number })?.running === 2, 5000);
    assert.equal(inf.get('default/a')!.specRev, s.specRev, 'spec revision unchanged by a status write');
    await store.remove(SVC, 'default', 'a');
    await until('DELETED a', () => inf.get('default/a') === undefined, 5000);
    const types = events.filter((e) => e.key === 'default/a').map((e) => e.type);
    assert.deepEqual(types.slice(0, 1), ['ADDED']);
    assert.equal(types.at(-1), 'DELETED');
  });

  it('lets go of an object whose status key was deleted before its spec key', async () => {
    // The two watches may deliver the status delete first; the object's own delete must still drop all of it.
    const own = new Informer(store, SVC, nopLogger);
    await own.start();
    try {
      await store.create(SVC, svc('status-first'));
      await store.putStatus(SVC, 'default', 'status-first', { running: 1 }, '0');
      await until('the status', () => own.get('default/status-first')?.object.status !== undefined, 5000);
      const held = own.heldKeys;
      const gone = await client.delete().key(statusKey(SVC, 'default', 'status-first')).exec();
      // a later object moves the spec watch past the delete, so the cache's revision tells when the status watch saw it
      await store.create(SVC, svc('status-first-marker'));
      await until('the status delete to be seen', () => BigInt(own.revision) >= BigInt(gone.header.revision), 5000);
      await client.delete().key(specKey(SVC, 'default', 'status-first')).exec();
      await until('DELETED', () => own.get('default/status-first') === undefined, 5000);
      assert.equal(own.heldKeys, held - 1 + 1, 'nothing of the object is held any more (the marker is)');
    } finally {
      await own.stop();
    }
  });

  it('keeps watching across an etcd restart without losing a change', async () => {
    etcd.restart();
    await retry(() => store.create(SVC, svc('after-restart')));
    await until('event after restart', () => inf.get('default/after-restart') !== undefined, 15000);
  });

  it('re-lists when the revision it resumes from was compacted away', async () => {
    // the informer reaches etcd through a proxy we can cut
    const proxy = await startProxy(etcd.port);
    const pc = newEtcdClient({ endpoints: `http://127.0.0.1:${proxy.port}` });
    const pinf = new Informer(new Store(pc), SVC, nopLogger);
    await pinf.start();
    await retry(() => store.create(SVC, svc('before-cut')));
    await until('seen before cut', () => pinf.get('default/before-cut') !== undefined, 5000);
    proxy.cut();
    await store.create(SVC, svc('missed'));
    await store.remove(SVC, 'default', 'before-cut');
    const head = await client.get('x').exec();
    await client.kv.compact({ revision: head.header.revision, physical: true });
    proxy.restore();
    await until('relist after compaction', () => pinf.get('default/missed') !== undefined && pinf.get('default/before-cut') === undefined, 15000);
    await pinf.stop();
    pc.close();
    await proxy.close();
  });
});

