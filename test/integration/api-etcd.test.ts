/**
 * A real `bin/stowage server` when etcd goes away: requests answer 503 with
 * a message that says etcd is unavailable, /healthz stays 200, /readyz says
 * 503, the process keeps running, and once etcd is back the same process
 * answers 200 again without a restart, and open watches carry on.
 *
 *   test ──HTTP──► stowage server ──► proxy (cut / restore) ──► etcd
 *     └──────────────── its own etcd client ─────────────────────┘
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { freePort, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';
import { call, type Answer } from '../helpers/http.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STOWAGE = join(ROOT, 'bin/stowage');
const SERVICE = lookupKind('Service')!;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));



const svc = (name: string): AnyResource => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances: 1, image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 16 } },
});

/** A bare SSE reader: `ADDED name` and `DELETED name`, in order. */
class Stream {
  events: string[] = [];
  ended = false;
  constructor(readonly res: IncomingMessage, private readonly close_: () => void) {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        // MODIFIED are left out: the leader's loops write status as they please
        if (type && data && type !== 'MODIFIED') this.events.push(`${type} ${(JSON.parse(data) as AnyResource).metadata.name}`);
      }
    });
    res.on('close', () => (this.ended = true));
  }
  close(): void {
    this.close_();
  }
}

function openStream(base: string, path: string): Promise<Stream | Answer> {
  const u = new URL(path, base);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false }, (res) => {
      if (res.statusCode === 200) return resolve(new Stream(res, () => req.destroy()));
      let t = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (t += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: t, json: JSON.parse(t), ms: Date.now() - t0 }));
    });
    req.on('error', reject);
    req.end();
  });
}


interface Running {
  proc: ChildProcess;
  base: string;
  log: () => string;
  stop: () => Promise<void>;
}

function startServer(etcdEndpoint: string, port: number): Running {
  let log = '';
  const proc = spawn(STOWAGE, ['server', '--etcd', etcdEndpoint, '--listen', `127.0.0.1:${port}`, '--lease-ttl', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (log = (log + d).slice(-20_000)));
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
  return {
    proc,
    base: `http://127.0.0.1:${port}`,
    log: () => log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

const alive = (p: ChildProcess): boolean => {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return false;
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stowage server when etcd goes away', () => {
  let etcd: TestEtcd;
  let proxy: Proxy;
  let client: Etcd3;
  let store: Store;
  const servers: Running[] = [];
  const streams: Stream[] = [];

  before(async () => {
    assert.ok(existsSync(STOWAGE), 'run `make build` first: bin/stowage is missing');
    etcd = await startEtcd();
    proxy = await startProxy(etcd.port);
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
  });

  after(async () => {
    for (const s of streams) s.close();
    for (const s of servers) await s.stop();
    client?.close();
    await proxy?.close();
    etcd?.stop();
  });

  it('etcd cut off: 503 naming etcd, quickly; the process lives; it recovers by itself, and open watches carry on', async () => {
    const s = startServer(`http://127.0.0.1:${proxy.port}`, await freePort());
    servers.push(s);
    await until('the server to be ready', async () => ((await call(s.base, 'GET', '/readyz')).status === 200 ? true : undefined), 20_000);
    assert.equal((await call(s.base, 'POST', '/api/v1/services', svc('before'))).status, 201);
    const w = await openStream(s.base, '/api/v1/services?watch=1');
    assert.ok(w instanceof Stream);
    streams.push(w);
    await until('the first event', async () => (w.events.length === 1 ? true : undefined), 10_000);

    proxy.cut();

    const get = await call(s.base, 'GET', '/api/v1/services/default/before');
    assert.equal(get.status, 503, JSON.stringify(get.json));
    assert.equal(get.json.code, 'Unavailable');
    assert.match(get.json.message, /^etcd is unavailable: /);
    assert.ok(get.ms < 6000, `answered in ${get.ms} ms`);
    for (const [method, path, body] of [
      ['GET', '/api/v1/services', undefined],
      ['POST', '/api/v1/services', svc('during')],
      ['PUT', '/api/v1/services/default/before', svc('before')],
      ['DELETE', '/api/v1/services/default/before', undefined],
      ['POST', '/api/v1/apply', { items: [svc('during')] }],
    ] as const) {
      const r = await call(s.base, method, path, body);
      assert.equal(r.status, 503, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.message, /^etcd is unavailable: /, `${method} ${path}`);
      assert.ok(r.ms < 6000, `${method} ${path} answered in ${r.ms} ms`);
    }
    // validation needs no etcd: a bad object is still a 422, not a 503
    const invalid = await call(s.base, 'POST', '/api/v1/services', { ...svc('x'), spec: { instances: -1 } });
    assert.equal(invalid.status, 422);

    const ready = await call(s.base, 'GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.match(ready.json.etcd, /^unreachable: /);
    assert.equal((await call(s.base, 'GET', '/healthz')).status, 200);
    assert.equal((await call(s.base, 'GET', '/metrics')).status, 200);

    // a new watch is refused at once rather than hanging
    const nw = await openStream(s.base, '/api/v1/services?watch=1');
    assert.ok(!(nw instanceof Stream), 'no stream while etcd is away');
    assert.equal(nw.status, 503);
    assert.match(nw.json.message, /^etcd is unavailable: /);
    const rw = await openStream(s.base, '/api/v1/services?watch=1&resourceVersion=1');
    assert.ok(!(rw instanceof Stream));
    assert.equal(rw.status, 503, 'resuming too');

    // someone else writes to etcd meanwhile; the server cannot see it yet
    await store.create(SERVICE, svc('while-away'));
    await sleep(6000); // longer than the lease: the server loses leadership, not its life
    assert.ok(alive(s.proc), `the server exited: ${s.log()}`);
    assert.equal((await call(s.base, 'GET', '/api/v1/services')).status, 503);

    proxy.restore();

    const pid = s.proc.pid;
    const back = await until(
      'the API to answer 200 again',
      async () => {
        const r = await call(s.base, 'GET', '/api/v1/services');
        return r.status === 200 ? r : undefined;
      },
      20_000,
    );
    assert.equal(s.proc.pid, pid);
    assert.ok(alive(s.proc));
    const names = back.json.items.map((o: AnyResource) => o.metadata.name).sort();
    assert.deepEqual(names, ['before', 'while-away']);
    assert.equal((await call(s.base, 'POST', '/api/v1/services', svc('after'))).status, 201);
    let lastReady: unknown;
    await until('/readyz 200 with a leader', async () => {
      const r = await call(s.base, 'GET', '/readyz');
      lastReady = r.json;
      return r.status === 200 && r.json.leader ? true : undefined;
    }, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}; /readyz said ${JSON.stringify(lastReady)}; the server's log ends:\n${s.log().slice(-6000)}`);
    });
    // the watch opened before the outage saw what happened during and after it
    await until('the old watch to catch up', async () => (w.events.length >= 3 ? true : undefined), 20_000);
    assert.deepEqual(w.events, ['ADDED before', 'ADDED while-away', 'ADDED after']);
    assert.ok(!w.ended);
  });

  it('a server started while etcd is unreachable keeps running and serves once etcd is there', async () => {
    proxy.cut();
    const s = startServer(`http://127.0.0.1:${proxy.port}`, await freePort());
    servers.push(s);
    await until('/healthz', async () => ((await call(s.base, 'GET', '/healthz')).status === 200 ? true : undefined), 20_000);
    const r = await call(s.base, 'GET', '/api/v1/services');
    assert.equal(r.status, 503);
    assert.match(r.json.message, /^etcd is unavailable: /);
    assert.equal((await call(s.base, 'GET', '/readyz')).status, 503);
    await sleep(3000);
    assert.ok(alive(s.proc), `the server exited: ${s.log()}`);
    proxy.restore();
    await until('the API to answer 200', async () => ((await call(s.base, 'GET', '/api/v1/services')).status === 200 ? true : undefined), 20_000);
    await until('/readyz 200', async () => ((await call(s.base, 'GET', '/readyz')).status === 200 ? true : undefined), 20_000);
  });

  it('etcd killed and restarted with its data: the same server recovers, its watch goes on', async () => {
    const s = startServer(etcd.endpoint, await freePort());
    servers.push(s);
    await until('the server to be ready', async () => ((await call(s.base, 'GET', '/readyz')).status === 200 ? true : undefined), 20_000);
    const w = await openStream(s.base, '/api/v1/services?watch=1');
    assert.ok(w instanceof Stream);
    streams.push(w);
    await until('the initial list', async () => (w.events.length >= 3 ? true : undefined), 10_000);
    const initial = w.events.length;
    const pid = s.proc.pid;

    etcd.restart(); // SIGKILL, then start on the same port and data dir

    await until('the API to answer 200', async () => {
      const r = await call(s.base, 'POST', '/api/v1/services', svc('after-restart'));
      return r.status === 201 ? true : undefined;
    }, 20_000);
    assert.equal(s.proc.pid, pid);
    assert.ok(alive(s.proc));
    await until('the watch to deliver the new object', async () => (w.events.includes('ADDED after-restart') ? true : undefined), 20_000);
    assert.deepEqual(w.events.slice(initial), ['ADDED after-restart']);
  });

  it('no watch stream is left behind by the outages', async () => {
    for (const st of streams.splice(0)) st.close();
    for (const s of servers) {
      if (!alive(s.proc)) continue;
      await until(`${s.base}: stowage_api_watch_streams 0`, async () => {
        const r = await call(s.base, 'GET', '/metrics');
        return /^stowage_api_watch_streams 0$/m.test(r.text) ? true : undefined;
      }, 10_000);
    }
  });
});
