/**
 * A resume from before the watch cache's window, on a real `bin/stowage
 * server` and etcd: the server has just started (its cache's window starts
 * now), a client comes back with an older resourceVersion; the stream
 * replays exactly the changes after it from etcd, then moves to the shared
 * cache (stowage_api_watch_replays back to 0) and goes on with live changes,
 * none twice.
 *
 * The test holds leadership itself, so no loop writes: the streams are exact.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { openSse, type SseStream } from '../helpers/sse.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;
const svc = (name: string, instances = 1): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name, namespace: 'rp' }, spec: { instances, image: 'x' } });

describe('a watch resumed from before the cache window', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let election: Election;
  let server: ServerProc;
  const streams: SseStream[] = [];
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await call(server.url, 'GET', '/metrics')).text)?.[1]);
  const head = async () => String((await client.get('/stowage/').exec()).header.revision);

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    election = new Election(client, { ttl: 2, identity: 'test-leader' }, nopLogger);
    const elected = new Promise((r) => election.once('elected', r));
    await election.start();
    await elected;
  });

  after(async () => {
    for (const s of streams) s.close();
    await server?.stop();
    await election?.stop();
    client?.close();
    etcd?.stop();
  });

  it('replays the changes after R from etcd, then goes on from the shared cache', async () => {
    const a = await store.create(SERVICE, svc('a'));
    const R = await head();
    const put = await store.update(SERVICE, svc('a', 3), a, a.specRev);
    const st = await store.putStatus(SERVICE, 'rp', 'a', { running: 3 }, '0');
    const b = await store.create(SERVICE, svc('b'));
    await store.remove(SERVICE, 'rp', 'a');
    const removed = await head();
    // a server started after all that: its cache (started by the first stream) begins at a later revision
    server = await spawnServer(etcd.endpoint, [], [], { built: true, until: 'leader-known' });
    const live = await openSse(server.url, '/api/v1/services?watch=1&namespace=rp');
    streams.push(live);
    await live.until('the list', () => live.events.length === 1);
    assert.deepEqual(live.events.map((e) => [e.event, JSON.parse(e.data).metadata.name]), [['ADDED', 'b']]);
    assert.ok(BigInt(live.events[0]!.id!) >= BigInt(removed), 'the list is at least as new as the last change');

    const w = await openSse(server.url, `/api/v1/services?watch=1&namespace=rp&resourceVersion=${R}`);
    streams.push(w);
    await w.until('the replayed changes', () => w.events.length === 4);
    assert.deepEqual(
      w.events.map((e) => [e.event, JSON.parse(e.data).metadata.name, e.id]),
      [
        ['MODIFIED', 'a', put.specRev],
        ['MODIFIED', 'a', st],
        ['ADDED', 'b', b.specRev],
        ['DELETED', 'a', removed],
      ],
    );
    assert.deepEqual(JSON.parse(w.events[3]!.data).status, { running: 3 }, 'the DELETED object as it last was');
    await until('the replay to hand the stream to the cache', async () => (await metric('stowage_api_watch_replays')) === 0, 10_000);

    // live changes from the cache, once each
    const c = await store.create(SERVICE, svc('c'));
    await store.remove(SERVICE, 'rp', 'b');
    const gone = await head();
    await w.until('the live changes', () => w.events.length === 6);
    await live.until('the live changes on the other stream', () => live.events.length === 3);
    for (const s of [w, live]) {
      assert.deepEqual(s.events.slice(-2).map((e) => [e.event, JSON.parse(e.data).metadata.name, e.id]), [
        ['ADDED', 'c', c.specRev],
        ['DELETED', 'b', gone],
      ]);
    }
    assert.equal(await metric('stowage_api_watch_streams'), 2);
  });

  it('resourceVersion=0 is no revision: the current objects, then the changes', async () => {
    const z = await openSse(server.url, '/api/v1/services?watch=1&namespace=rp&resourceVersion=0');
    streams.push(z);
    await z.until('the list', () => z.events.length === 1);
    assert.deepEqual(z.events.map((e) => [e.event, JSON.parse(e.data).metadata.name]), [['ADDED', 'c']]);
    assert.equal(await metric('stowage_api_watch_replays'), 0, 'no replay of the whole history');
  });
});
