/**
 * Backpressure of watch streams, on a real `bin/stowage server` and etcd:
 * a client that stops reading is cut off, with a last `event: ERROR`
 * {code: TooSlow} naming the limit, once more than --watch-queue-bytes of
 * events wait for it; the bytes waiting (stowage_api_watch_queued_bytes)
 * never pass that limit; a client that reads gets every event meanwhile; the
 * cut-off client resumes with Last-Event-ID and misses nothing.
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

const SERVICE = lookupKind('Service')!;
const LIMIT = 256 * 1024;
/** Each status write is an event of about this size. */
const PAD = 'x'.repeat(32 * 1024);

describe('a watch client that does not read', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let election: Election;
  let server: ServerProc;
  const streams: SseStream[] = [];
  const metric = async (name: string) => {
    const t = (await call(server.url, 'GET', '/metrics')).text;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(t)?.[1]);
  };

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    election = new Election(client, { ttl: 2, identity: 'test-leader' }, nopLogger);
    const elected = new Promise((r) => election.once('elected', r));
    await election.start();
    await elected;
    server = await spawnServer(etcd.endpoint, ['--watch-queue-bytes', '256Ki'], [], { built: true, until: 'leader-known' });
  });

  after(async () => {
    for (const s of streams) s.close();
    await server?.stop();
    await election?.stop();
    client?.close();
    etcd?.stop();
  });

  it('is cut off past the limit, the bytes waiting never pass it, a reading client gets everything, and Last-Event-ID resumes', async () => {
    const obj = await store.create<AnyResource>(SERVICE, { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'big', namespace: 'slow' }, spec: { instances: 1, image: 'x' } });
    const path = '/api/v1/services?watch=1&namespace=slow';
    const slow = await openSse(server.url, path, { paused: true });
    const fast = await openSse(server.url, path);
    streams.push(slow, fast);
    await fast.until('the initial ADDED', () => fast.events.length === 1);

    const ids = [fast.events[0]!.id!];
    let statusRev = '0';
    let maxQueued = 0;
    for (let i = 0; i < 3000 && (await metric('stowage_api_watch_cut_total')) === 0; i++) {
      statusRev = await store.putStatus(SERVICE, 'slow', 'big', { i, pad: PAD }, statusRev);
      ids.push(statusRev);
      maxQueued = Math.max(maxQueued, await metric('stowage_api_watch_queued_bytes'));
    }
    assert.equal(await metric('stowage_api_watch_cut_total'), 1, `the client that stopped reading was cut off (${ids.length - 1} writes of ${PAD.length} bytes)`);
    assert.ok(maxQueued > 0, 'events waited for the slow client');
    assert.ok(maxQueued <= LIMIT, `at most ${LIMIT} bytes waited; seen ${maxQueued}`);
    assert.equal(await metric('stowage_api_watch_queued_bytes'), 0, 'nothing waits once it is cut off');

    // the reading client got every event, in order, and goes on
    await fast.until('every event on the reading client', () => fast.events.length === ids.length);
    assert.deepEqual(fast.events.map((e) => e.id), ids);
    assert.ok(!fast.ended && fast.events.every((e) => e.event !== 'ERROR'));

    // the slow client, reading again: what was written before the cut, then the reason, then the end
    slow.resume();
    await slow.until('the end of the cut-off stream', () => slow.ended, 20_000);
    const last = slow.events.at(-1)!;
    assert.equal(last.event, 'ERROR');
    assert.equal(last.id, undefined, 'the error keeps the Last-Event-ID of the last event');
    assert.deepEqual(JSON.parse(last.data), {
      code: 'TooSlow',
      message: `the client read too slowly: more than ${LIMIT} bytes (256 KiB) of events waited for it; reconnect with Last-Event-ID to resume`,
    });
    const got = slow.events.slice(0, -1);
    assert.ok(got.length >= 1 && got.length < ids.length, `a part of the events before the cut: ${got.length} of ${ids.length}`);
    assert.deepEqual(got.map((e) => e.id), ids.slice(0, got.length), 'in order, none skipped');
    assert.equal(JSON.parse(got[0]!.data).metadata.uid, obj.object.metadata.uid);

    // resuming from the last id gives exactly the rest
    const again = await openSse(server.url, path, { headers: { 'last-event-id': got.at(-1)!.id! } });
    streams.push(again);
    await again.until('the rest', () => again.events.length === ids.length - got.length);
    assert.deepEqual(again.events.map((e) => e.id), ids.slice(got.length));
    assert.deepEqual(JSON.parse(again.events.at(-1)!.data).status.i, ids.length - 2);
  });
});
