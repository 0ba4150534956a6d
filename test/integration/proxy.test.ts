/**
 * `stowage proxy` as a real process forwarding real TCP to real local
 * instances, with endpoints coming from an SSE server in the test (the
 * endpoints API's contract: a list, and a watch that starts over on every
 * connection).
 *
 *   test ──► 127.0.0.1:<service port> ──► stowage proxy ──► instance a | b | c
 *                                              ▲
 *   FakeEndpointsApi (list + SSE watch) ───────┘
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { address, endpoints, startEndpointsApi, type FakeEndpointsApi } from '../helpers/endpoints-api.js';
import { freePort } from '../helpers/etcd.js';
import { metricValue, spawnProxy, type ProxyProc } from '../helpers/stowage-proxy.js';
import { dial, startBackend, whoAnswers, type Backend, type Conn } from '../helpers/tcp-backends.js';
import { until } from '../helpers/wait.js';

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });

/** n sequential connections: who answered each. */
const spread = async (port: number, n: number): Promise<Map<string, number>> => {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const g = await whoAnswers(port);
    seen.set(g, (seen.get(g) ?? 0) + 1);
  }
  return seen;
};

describe('stowage proxy', () => {
  let api: FakeEndpointsApi;
  let proxy: ProxyProc;
  let a: Backend, b: Backend, c: Backend;
  let web: number;
  const labels = { namespace: 'default', service: 'web', port: 'http' };
  const webEndpoints = (...bs: Backend[]) => endpoints('default', 'web', [{ name: 'http', servicePort: web, addresses: bs.map((x) => address(x.port, `web-${x.name}`)) }]);

  before(async () => {
    [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
    web = await freePort();
    api = await startEndpointsApi([webEndpoints(a, b, c)]);
    proxy = await spawnProxy(api.url);
    await until('the proxy listens on the service port', async () => (await whoAnswers(web).catch(() => '')) !== '');
  });
  after(async () => {
    await proxy?.stop();
    await api?.stop();
    await Promise.all([a, b, c].map((x) => x?.stop()));
  });

  it('spreads connections over every ready instance in turn (round-robin)', async () => {
    const seen = await spread(web, 30);
    assert.deepEqual([...seen.entries()].sort(), [['a', 10], ['b', 10], ['c', 10]]);
  });

  it('retries a connection an instance refuses on another: no client sees the refusal', async () => {
    const gone = await startBackend('gone');
    await gone.stop(); // its port now refuses
    const refusals = async () => metricValue(await proxy.metrics(), 'stowage_proxy_errors_total', { ...labels, reason: 'refused' }) ?? 0;
    api.set(webEndpoints(a, { name: 'gone', port: gone.port } as Backend, b));
    await until('c is out of the rotation', async () => !(await spread(web, 6)).has('c'));
    // a refused instance is tried last for a while (penaltyMs), then again: keep connecting
    // until it was tried during these connections, each of which must reach a live one
    const before = await refusals();
    const end = Date.now() + 20_000;
    while ((await refusals()) === before) {
      assert.ok(Date.now() < end, 'the dead instance was never tried again');
      const seen = await spread(web, 10);
      assert.deepEqual([...seen.keys()].sort(), ['a', 'b'], 'every connection reached a live instance');
    }
    assert.equal(metricValue(await proxy.metrics(), 'stowage_proxy_errors_total', { ...labels, reason: 'exhausted' }), 0);
    api.set(webEndpoints(a, b, c));
  });

  it('closes the client when every instance refuses, and counts it', async () => {
    const x = await startBackend('x');
    await x.stop();
    api.set(webEndpoints({ name: 'x', port: x.port } as Backend));
    await until('the client is closed without a greeting', async () => (await whoAnswers(web).then(() => false, () => true)));
    assert.ok((metricValue(await proxy.metrics(), 'stowage_proxy_errors_total', { ...labels, reason: 'exhausted' }) ?? 0) >= 1);
    api.set(webEndpoints(a, b, c));
    await until('all three answer again', async () => (await spread(web, 6)).size === 3);
  });

  it('an instance removed from endpoints gets no new connection, and its open connections go on', async () => {
    const held = await until('a connection to c', async () => {
      const conn = await dial(web);
      if (conn.greeting === 'c') return conn;
      conn.close();
      return undefined;
    });
    api.set(webEndpoints(a, b));
    await until('c gets no new connections', async () => !(await spread(web, 4)).has('c'));
    const acceptedByC = c.accepted.length;
    const seen = await spread(web, 20);
    assert.deepEqual([...seen.keys()].sort(), ['a', 'b']);
    assert.equal(c.accepted.length, acceptedByC, 'not one new connection reached c');
    assert.equal(await held.echo('still there?'), 'still there?', 'the open connection to c still works');
    held.close();
    api.set(webEndpoints(a, b, c));
  });

  it('closes the listener when the service goes, and opens it again when it comes back', async () => {
    api.delete('default', 'web');
    await until('the service port refuses connections', () => refused(web));
    api.set(webEndpoints(a, b, c));
    await until('the service port answers again', async () => (await whoAnswers(web).catch(() => '')) !== '');
  });

  it('a service port whose port changes moves to the new port', async () => {
    const moved = await freePort();
    api.set(endpoints('default', 'web', [{ name: 'http', servicePort: moved, addresses: [address(a.port, 'web-a')] }]));
    await until('the new port answers', async () => (await whoAnswers(moved).catch(() => '')) === 'a');
    await until('the old port is closed', () => refused(web));
    api.set(webEndpoints(a, b, c));
    await until('the old port answers again', async () => (await whoAnswers(web).catch(() => '')) !== '');
    await until('the moved port is closed', () => refused(moved));
  });

  it('survives garbage on the watch: bad events are counted and skipped, the next good one applies', async () => {
    const before = metricValue(await proxy.metrics(), 'stowage_proxy_watch_bad_events_total') ?? 0;
    api.raw('event: MODIFIED\ndata: {not json\n\n');
    api.raw('event: ADDED\ndata: {"kind":"Endpoints","metadata":{"namespace":"default"},"ports":[]}\n\n');
    api.raw('event: MODIFIED\ndata: [1,2,3]\n\n');
    api.raw('event: DELETED\ndata: null\n\n');
    api.raw(`event: MODIFIED\ndata: ${JSON.stringify({ ...webEndpoints(a), ports: [{ name: 'http', servicePort: 'ten', addresses: [] }] })}\n\n`);
    api.raw(Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x0a, 0xc3, 0x28, 0x0a, 0x0a]));
    api.raw('event: SURPRISE\ndata: {}\n\n: a comment\n\nretry: 10\n\n');
    // the next good event still applies on the same stream
    api.set(webEndpoints(b));
    await until('only b answers', async () => {
      const s = await spread(web, 3);
      return s.size === 1 && s.has('b');
    });
    assert.equal(proxy.exitCode, null, 'the proxy is running');
    assert.equal((metricValue(await proxy.metrics(), 'stowage_proxy_watch_bad_events_total') ?? 0) - before, 5);
    api.set(webEndpoints(a, b, c));
    await until('all three answer again', async () => (await spread(web, 6)).size === 3);
  });

  it('starts over after a lost stream: what changed while it was away applies, what went is closed', async () => {
    const other = await freePort();
    api.set(endpoints('shop', 'api', [{ name: 'http', servicePort: other, addresses: [address(a.port)] }]));
    await until('the second service answers', async () => (await whoAnswers(other).catch(() => '')) === 'a');
    const conns = api.connections;
    api.refuse = true;
    api.drop();
    // while the proxy is away: shop/api is deleted and web loses a
    api.setQuietly(undefined, 'shop', 'api');
    api.setQuietly(webEndpoints(b, c), 'default', 'web');
    assert.equal(await whoAnswers(web).then(() => true), true, 'the proxy serves what it knew while the server is away');
    api.refuse = false;
    await until('the proxy reconnected', () => api.connections > conns && api.streams > 0);
    await until('the deleted service is closed', () => refused(other));
    await until('a gets no more connections', async () => !(await spread(web, 4)).has('a'));
    assert.ok((metricValue(await proxy.metrics(), 'stowage_proxy_watch_reconnects_total') ?? 0) >= 1);
    api.set(webEndpoints(a, b, c));
  });

  it('forwards whatever bytes a client sends, and a client that resets does not hurt the proxy', async () => {
    const conn = await dial(web);
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    assert.equal((await conn.echo(junk)).length, junk.length);
    conn.socket.resetAndDestroy();
    for (let i = 0; i < 20; i++) {
      const s = connect({ port: web, host: '127.0.0.1' });
      s.on('error', () => undefined);
      s.on('connect', () => (i % 2 ? s.resetAndDestroy() : s.end('GET / HTTP/1.1\r\n\r\n\0\0\0')));
    }
    await until('the proxy still answers', async () => (await whoAnswers(web).catch(() => '')) !== '');
    assert.equal(proxy.exitCode, null);
  });

  it('/metrics counts connections and bytes per service and passes promtool; garbage requests get 4xx', async () => {
    const before = metricValue(await proxy.metrics(), 'stowage_proxy_connections_total', labels) ?? 0;
    await spread(web, 5);
    const text = await proxy.metrics();
    assert.equal(metricValue(text, 'stowage_proxy_connections_total', labels), before + 5);
    await until('no connection is left open', async () => metricValue(await proxy.metrics(), 'stowage_proxy_active_connections', labels) === 0, 5000);
    assert.ok((metricValue(text, 'stowage_proxy_received_bytes_total', labels) ?? 0) >= 4096);
    assert.ok((metricValue(text, 'stowage_proxy_sent_bytes_total', labels) ?? 0) >= 4096);
    assert.equal(metricValue(text, 'stowage_proxy_endpoints_synced'), 1);
    assert.equal(metricValue(text, 'stowage_proxy_listeners', { state: 'listening' }), 1);
    const lint = execFileSync('promtool', ['check', 'metrics'], { input: text }).toString();
    assert.equal(lint.trim(), '');
    assert.equal((await fetch(`${proxy.url}/nope`)).status, 404);
    assert.equal((await fetch(`${proxy.url}/metrics`, { method: 'POST' })).status, 405);
    const rawAnswer = (text: string) =>
      new Promise<string>((resolve) => {
        const s = connect({ port: Number(new URL(proxy.url).port), host: '127.0.0.1' });
        let out = '';
        s.on('data', (d) => (out += d.toString())).on('close', () => resolve(out)).on('error', () => resolve(out));
        s.end(text);
      });
    assert.match(await rawAnswer('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1.1 404/);
    assert.match(await rawAnswer('GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'), /^HTTP\/1.1 400/);
    assert.match(await rawAnswer('\x00\xff\r\n\r\n'), /^HTTP\/1.1 400/);
    assert.equal(proxy.exitCode, null);
  });
});

describe('stowage proxy: least-connections, and a service port it cannot bind', () => {
  let api: FakeEndpointsApi;
  let proxy: ProxyProc;
  let a: Backend, b: Backend;
  let port: number;
  let squatter: Server;
  const ep = () => endpoints('default', 'db', [{ name: 'sql', servicePort: port, addresses: [address(a.port, 'db-a'), address(b.port, 'db-b')] }]);

  before(async () => {
    [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
    port = await freePort();
    // someone else holds the service port when the proxy starts
    squatter = createServer((s) => s.end('squatter\n'));
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    api = await startEndpointsApi([ep()]);
    proxy = await spawnProxy(api.url, ['--balance', 'least-connections']);
  });
  after(async () => {
    squatter?.close();
    await proxy?.stop();
    await api?.stop();
    await Promise.all([a, b].map((x) => x?.stop()));
  });

  it('a taken service port is logged and retried, never fatal; it is served once free', async () => {
    await until('the bind failure is counted', async () => (metricValue(await proxy.metrics(), 'stowage_proxy_errors_total', { namespace: 'default', service: 'db', port: 'sql', reason: 'bind' }) ?? 0) >= 1);
    assert.equal(metricValue(await proxy.metrics(), 'stowage_proxy_listeners', { state: 'waiting' }), 1);
    assert.ok(proxy.output.some((l) => l.includes('cannot listen on the service port')));
    assert.equal(proxy.exitCode, null);
    await new Promise<void>((r) => squatter.close(() => r()));
    await until('the proxy took the port', async () => ['a', 'b'].includes(await whoAnswers(port).catch(() => '')), 20_000);
  });

  it('least-connections sends new connections to the instance with fewer open ones', async () => {
    const held: Conn[] = [];
    for (let i = 0; i < 6; i++) held.push(await dial(port));
    const count = (g: string) => held.filter((h) => h.greeting === g).length;
    assert.deepEqual([count('a'), count('b')], [3, 3], 'equal instances share');
    // end two of a's: the next two go to a
    const aConns = held.filter((h) => h.greeting === 'a');
    aConns[0]!.close();
    aConns[1]!.close();
    await until('the proxy counts 4 open connections', async () => metricValue(await proxy.metrics(), 'stowage_proxy_active_connections', { namespace: 'default', service: 'db', port: 'sql' }) === 4);
    const next = [await dial(port), await dial(port)];
    assert.deepEqual(next.map((n) => n.greeting), ['a', 'a']);
    for (const h of [...held, ...next]) h.close();
  });
});
