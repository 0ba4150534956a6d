/**
 * Watch as Server-Sent Events, from a real `bin/stowage server` on a real
 * etcd: ADDED for what exists, then MODIFIED/DELETED; resuming from a
 * resourceVersion (or Last-Event-ID) gives exactly the changes after it;
 * a status write (by a loop, here straight through the store) arrives as
 * MODIFIED with the merged object; a compacted resourceVersion is 410 Gone.
 *
 * The test holds leadership itself, so the server is a standby and no loop
 * writes anything but what the test does: the streams are exact.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { call } from '../helpers/http.js';
import { SseStream } from '../helpers/sse.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STOWAGE = join(ROOT, 'bin/stowage');
const SERVICE = lookupKind('Service')!;

interface WatchEvent {
  event: string;
  id?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** An open watch (test/helpers/sse.ts) with its events' data parsed. */
class Watch {
  constructor(
    readonly status: number,
    readonly headers: IncomingMessage['headers'],
    private readonly s: SseStream,
  ) {}

  get events(): WatchEvent[] {
    return this.s.events.map((e) => ({ ...e, data: JSON.parse(e.data) }));
  }

  get comments(): string[] {
    return this.s.comments;
  }

  get ended(): boolean {
    return this.s.ended;
  }

  /** Wait until at least n events arrived. */
  async waitEvents(n: number, ms = 10_000): Promise<WatchEvent[]> {
    await this.s.until(`${n} events`, () => this.s.events.length >= n || this.s.ended, ms).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(this.brief())}`);
    });
    if (this.s.events.length < n) throw new Error(`stream ended after ${this.s.events.length} of ${n} events: ${JSON.stringify(this.brief())}`);
    return this.events.slice(0, n);
  }

  /** Wait for the `: watching ... from revision R` comment. */
  started(ms = 10_000): Promise<void> {
    return this.s.until('the watch to start', () => this.s.comments.some((c) => c.startsWith('watching')) || this.s.ended, ms).then(() => {
      if (!this.s.comments.some((c) => c.startsWith('watching'))) throw new Error('the watch did not start');
    });
  }

  /** [type, name] of every event, for compact comparisons. */
  brief(): string[][] {
    return this.events.map((e) => [e.event, `${e.data?.metadata?.namespace}/${e.data?.metadata?.name}`]);
  }

  close(): void {
    this.s.close();
  }
}

/** Open GET <path>; resolves with the stream once headers arrive (or with the error body). */
function openWatch(base: string, path: string, headers: Record<string, string> = {}): Promise<Watch | { status: number; json: { code: string; message: string } }> {
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (t += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(t) }));
        return;
      }
      resolve(new Watch(res.statusCode, res.headers, new SseStream(res, req)));
    });
    req.on('error', reject);
    req.end();
  });
}

async function mustWatch(base: string, path: string, headers?: Record<string, string>): Promise<Watch> {
  const w = await openWatch(base, path, headers);
  if (!(w instanceof Watch)) throw new Error(`watch ${path}: ${w.status} ${JSON.stringify(w.json)}`);
  return w;
}


const svc = (name: string, o: { namespace?: string; labels?: Record<string, string>; instances?: number } = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.labels ? { labels: o.labels } : {}) },
  spec: { instances: o.instances ?? 1, image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 16 } },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watch (Server-Sent Events) of a real stowage server', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let base: string;
  let client: Etcd3;
  let store: Store;
  let election: Election;
  const api = (method: string, path: string, body?: unknown) => call(base, method, path, body);
  const open: Watch[] = [];
  const watch = async (path: string, headers?: Record<string, string>) => {
    const w = await mustWatch(base, path, headers);
    open.push(w);
    return w;
  };
  const create = async (name: string, o?: Parameters<typeof svc>[1]) => {
    const r = await api('POST', '/api/v1/services', svc(name, o));
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json;
  };
  const head = async () => (await api('GET', '/api/v1/namespaces')).json.metadata.resourceVersion as string;

  before(async () => {
    assert.ok(existsSync(STOWAGE), 'run `make build` first: bin/stowage is missing');
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    election = new Election(client, { ttl: 2, identity: 'test-leader' }, nopLogger);
    const elected = new Promise((r) => election.once('elected', r));
    await election.start();
    await elected;
    server = await spawnServer(etcd.endpoint, [], [], { built: true, until: 'leader-known' });
    base = server.url;
  });

  after(async () => {
    for (const w of open) w.close();
    await server?.stop();
    await election?.stop();
    client?.close();
    etcd?.stop();
  });

  it('a standby serves the API; /readyz names the leader', async () => {
    const r = await api('GET', '/readyz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { etcd: 'ok', leader: 'test-leader', isLeader: false });
  });

  it('without resourceVersion: ADDED for each existing object, then MODIFIED and DELETED as they happen', async () => {
    await create('w-a', { namespace: 'w1' });
    await create('w-b', { namespace: 'w1' });
    const w = await watch('/api/v1/services?watch=1&namespace=w1');
    assert.equal(w.status, 200);
    assert.match(String(w.headers['content-type']), /^text\/event-stream/);
    assert.equal(w.headers['cache-control'], 'no-cache');
    await w.waitEvents(2);
    assert.deepEqual(w.brief(), [
      ['ADDED', 'w1/w-a'],
      ['ADDED', 'w1/w-b'],
    ]);
    assert.match(w.comments[0]!, /^watching services from revision \d+$/);
    for (const e of w.events) assert.equal(e.id, String(/\d+$/.exec(w.comments[0]!)![0]), 'the initial ADDED carry the revision of the list');

    const cur = (await api('GET', '/api/v1/services/w1/w-a')).json;
    const put = await api('PUT', '/api/v1/services/w1/w-a', { ...svc('w-a', { namespace: 'w1', instances: 3 }), metadata: { ...cur.metadata } });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const [, , mod] = await w.waitEvents(3);
    assert.equal(mod!.event, 'MODIFIED');
    assert.equal(mod!.data.spec.instances, 3);
    assert.equal(mod!.data.metadata.resourceVersion, put.json.metadata.resourceVersion);
    assert.equal(mod!.id, put.json.metadata.resourceVersion, 'id is the revision of the change');

    const del = await api('DELETE', '/api/v1/services/w1/w-b');
    assert.equal(del.status, 200);
    const [, , , gone] = await w.waitEvents(4);
    assert.equal(gone!.event, 'DELETED');
    assert.equal(gone!.data.metadata.name, 'w-b');
    assert.ok(BigInt(gone!.id!) > BigInt(mod!.id!));

    await create('w-c', { namespace: 'w1' });
    await create('elsewhere', { namespace: 'w2' });
    await w.waitEvents(5);
    await sleep(300);
    assert.deepEqual(w.brief().slice(4), [['ADDED', 'w1/w-c']], 'the namespace filter holds');
  });

  it('a status write arrives as MODIFIED with the object and its status merged', async () => {
    const obj = await create('with-status', { namespace: 'w3' });
    const w = await watch('/api/v1/services?watch=1&namespace=w3');
    await w.waitEvents(1);
    const rev = await store.putStatus(SERVICE, 'w3', 'with-status', { instances: 1, running: 1, healthy: 0 }, '0');
    const [, ev] = await w.waitEvents(2);
    assert.equal(ev!.event, 'MODIFIED');
    assert.deepEqual(ev!.data.status, { instances: 1, running: 1, healthy: 0 });
    assert.deepEqual(ev!.data.spec, obj.spec, 'the spec comes along');
    assert.equal(ev!.data.metadata.resourceVersion, obj.metadata.resourceVersion, 'resourceVersion is the spec revision');
    assert.equal(ev!.id, rev);
    // and GET shows the same merge
    assert.deepEqual((await api('GET', '/api/v1/services/w3/with-status')).json.status, { instances: 1, running: 1, healthy: 0 });
  });

  it('with resourceVersion=R: exactly the changes after R, each with the revision of its change as id', async () => {
    await create('r-keep', { namespace: 'w4' });
    await create('r-change', { namespace: 'w4' });
    await create('r-drop', { namespace: 'w4' });
    const R = await head();
    const cur = (await api('GET', '/api/v1/services/w4/r-change')).json;
    const put = await api('PUT', '/api/v1/services/w4/r-change', { ...svc('r-change', { namespace: 'w4', instances: 4 }), metadata: cur.metadata });
    assert.equal(put.status, 200);
    const statusRev = await store.putStatus(SERVICE, 'w4', 'r-change', { running: 2 }, '0');
    const made = await create('r-new', { namespace: 'w4' });
    const del = await api('DELETE', '/api/v1/services/w4/r-drop');
    assert.equal(del.status, 200);
    const after = await head();

    const w = await watch(`/api/v1/services?watch=1&namespace=w4&resourceVersion=${R}`);
    await w.waitEvents(4);
    await sleep(500);
    // delivered in revision order, spec and status changes alike
    const byRev = w.events;
    assert.deepEqual(
      byRev.map((e) => [e.event, e.data.metadata.name, e.id]),
      [
        ['MODIFIED', 'r-change', put.json.metadata.resourceVersion],
        ['MODIFIED', 'r-change', statusRev],
        ['ADDED', 'r-new', made.metadata.resourceVersion],
        ['DELETED', 'r-drop', after],
      ],
      'in order, each event id the revision of its change',
    );
    const [m1, m2, add, gone] = byRev;
    assert.equal(m1!.data.spec.instances, 4);
    assert.deepEqual(m2!.data.status, { running: 2 }, 'the status write is a MODIFIED of the object');
    assert.equal(m2!.data.kind, 'Service');
    assert.equal(add!.data.metadata.uid, made.metadata.uid);
    assert.equal(gone!.data.metadata.name, 'r-drop');

    // resuming from each event's id gives exactly the ones after it
    for (let i = 0; i < byRev.length; i++) {
      const rest = await watch(`/api/v1/services?watch=1&namespace=w4&resourceVersion=${byRev[i]!.id}`);
      await rest.waitEvents(byRev.length - 1 - i);
      await sleep(200);
      assert.deepEqual(
        rest.events.map((e) => e.id),
        byRev.slice(i + 1).map((e) => e.id),
        `resuming from ${byRev[i]!.id}`,
      );
      rest.close();
    }

    // from the newest revision: nothing until something changes
    const quiet = await watch(`/api/v1/services?watch=1&namespace=w4&resourceVersion=${after}`);
    await quiet.started();
    await sleep(300);
    assert.equal(quiet.events.length, 0);
    await create('r-later', { namespace: 'w4' });
    await quiet.waitEvents(1);
    assert.deepEqual(quiet.brief(), [['ADDED', 'w4/r-later']]);
  });

  it('a resumed stream replays many alternating spec and status changes in revision order', async () => {
    const obj = await create('alt', { namespace: 'w9' });
    const R = await head();
    const ids: string[] = [];
    let cur = obj;
    let statusRev = '0';
    for (let i = 0; i < 40; i++) {
      const put = await api('PUT', '/api/v1/services/w9/alt', { ...svc('alt', { namespace: 'w9', instances: i + 2 }), metadata: cur.metadata });
      assert.equal(put.status, 200, put.text);
      cur = put.json;
      statusRev = await store.putStatus(SERVICE, 'w9', 'alt', { running: i }, statusRev);
      ids.push(cur.metadata.resourceVersion, statusRev);
    }
    const w = await watch(`/api/v1/services?watch=1&namespace=w9&resourceVersion=${R}`);
    await w.waitEvents(ids.length);
    assert.deepEqual(w.events.map((e) => e.id), ids, 'one event per change, in the order of the changes');
    // each event shows the object as it was at that revision
    for (const [i, e] of w.events.entries()) assert.equal(e.data.spec.instances, Math.floor(i / 2) + 2);
  });

  it('Last-Event-ID resumes after the last event seen', async () => {
    await create('l-a', { namespace: 'w5' });
    const w = await watch('/api/v1/services?watch=1&namespace=w5');
    const [first] = await w.waitEvents(1);
    w.close();
    await create('l-b', { namespace: 'w5' });
    await api('DELETE', '/api/v1/services/w5/l-a');
    const again = await watch('/api/v1/services?watch=1&namespace=w5', { 'last-event-id': first!.id! });
    await again.waitEvents(2);
    await sleep(300);
    assert.deepEqual(again.brief(), [
      ['ADDED', 'w5/l-b'],
      ['DELETED', 'w5/l-a'],
    ]);
  });

  it('labelSelector filters the stream', async () => {
    await create('s-web', { namespace: 'w6', labels: { app: 'web' } });
    await create('s-db', { namespace: 'w6', labels: { app: 'db' } });
    const w = await watch(`/api/v1/services?watch=1&labelSelector=${encodeURIComponent('app=web')}`);
    await w.waitEvents(1);
    await create('s-web2', { namespace: 'w6', labels: { app: 'web' } });
    await create('s-db2', { namespace: 'w6', labels: { app: 'db' } });
    await w.waitEvents(2);
    await sleep(300);
    assert.deepEqual(w.brief(), [
      ['ADDED', 'w6/s-web'],
      ['ADDED', 'w6/s-web2'],
    ]);
  });

  it('a compacted resourceVersion: 410 Gone before the stream starts', async () => {
    const old = await head();
    await create('c-1', { namespace: 'w7' });
    await create('c-2', { namespace: 'w7' });
    const now = await head();
    await client.kv.compact({ revision: now, physical: true });
    const r = await openWatch(base, `/api/v1/services?watch=1&resourceVersion=${old}`);
    assert.ok(!(r instanceof Watch), 'no stream');
    assert.equal(r.status, 410);
    assert.deepEqual(r.json, {
      code: 'Gone',
      message: `resourceVersion ${old} is older than etcd keeps (compacted); list again and watch from the new resourceVersion`,
      details: [],
    });
    // Last-Event-ID the same
    const l = await openWatch(base, '/api/v1/services?watch=1', { 'last-event-id': old });
    assert.ok(!(l instanceof Watch));
    assert.equal(l.status, 410);
    // the compaction revision itself is still served
    const ok = await watch(`/api/v1/services?watch=1&namespace=w7&resourceVersion=${now}`);
    await ok.started();
    assert.equal(ok.events.length, 0);
  });

  it('a resourceVersion that is not a revision, or in the future: 400', async () => {
    const bad = await openWatch(base, '/api/v1/services?watch=1&resourceVersion=abc');
    assert.ok(!(bad instanceof Watch));
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'resourceVersion must be a decimal etcd revision; got "abc"');
    const future = BigInt(await head()) + 1000n;
    const f = await openWatch(base, `/api/v1/services?watch=1&resourceVersion=${future}`);
    assert.ok(!(f instanceof Watch));
    assert.equal(f.status, 400);
    assert.equal(f.json.message, `resourceVersion ${future} is newer than the store's current revision`);
  });

  it('open streams are counted in stowage_api_watch_streams, and closed ones leave it', async () => {
    const gauge = async () => {
      const t = await (await fetch(`${base}/metrics`)).text();
      const line = t.split('\n').find((l) => l.startsWith('stowage_api_watch_streams '));
      return Number(line?.split(' ')[1]);
    };
    for (const w of open.splice(0)) w.close();
    for (let i = 0; i < 50 && (await gauge()) !== 0; i++) await sleep(100);
    assert.equal(await gauge(), 0);
    const a = await watch('/api/v1/services?watch=1');
    const b = await watch('/api/v1/jobs?watch=1');
    await a.started();
    await b.started();
    assert.equal(await gauge(), 2);
    a.close();
    b.close();
    for (let i = 0; i < 50 && (await gauge()) !== 0; i++) await sleep(100);
    assert.equal(await gauge(), 0);
  });
});
