import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { commandProbe, httpProbe, tcpProbe } from './probes.js';
import { SimRuntime, DeadlineQueue } from '../runtime/sim.js';

/** A port nothing listens on: bind, note, close. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

describe('httpProbe', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/ok') return res.end('ok');
      if (req.url === '/moved') return res.writeHead(302, { location: '/broken' }).end();
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 500);
      res.writeHead(503).end('down');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('200 is healthy', async () => {
    assert.deepEqual(await httpProbe(port, '/ok', 1000), { healthy: true, message: `GET http://127.0.0.1:${port}/ok: HTTP 200` });
  });
  it('a redirect is healthy and not followed', async () => {
    assert.deepEqual(await httpProbe(port, '/moved', 1000), { healthy: true, message: `GET http://127.0.0.1:${port}/moved: HTTP 302` });
  });
  it('503 is not', async () => {
    assert.equal((await httpProbe(port, '/x', 1000)).healthy, false);
  });
  it('a slow answer times out', async () => {
    const t0 = Date.now();
    const r = await httpProbe(port, '/slow', 100);
    assert.deepEqual(r, { healthy: false, message: `GET http://127.0.0.1:${port}/slow: no answer within 100 ms` });
    assert.ok(Date.now() - t0 < 400);
  });
  it('nothing listening is a failure with the reason', async () => {
    const p = await closedPort();
    const r = await httpProbe(p, 'ok', 1000);
    assert.equal(r.healthy, false);
    assert.match(r.message, new RegExp(`GET http://127.0.0.1:${p}/ok: connect ECONNREFUSED`));
  });
});

describe('tcpProbe', () => {
  it('healthy when it connects, not when refused', async () => {
    const s = net.createServer((c) => c.end());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    assert.deepEqual(await tcpProbe(port, 1000), { healthy: true, message: `TCP 127.0.0.1:${port}: connected` });
    await new Promise((r) => s.close(r));
    const r = await tcpProbe(port, 1000);
    assert.equal(r.healthy, false);
    assert.match(r.message, /ECONNREFUSED/);
  });
});

describe('commandProbe', () => {
  it('exit 0 is healthy; a runtime error is a failure with its message', async () => {
    const rt = new SimRuntime({ nodeName: 'n', deadlines: new DeadlineQueue({ manual: true }) });
    const id = await rt.start({ taskUid: 'u', taskRef: 'default/t', nodeName: 'n', image: 'i', env: {}, cpus: 0, memMiB: 0, pidsLimit: 0 });
    assert.deepEqual(await commandProbe(rt, id, ['true'], 1000), { healthy: true, message: 'command ["true"]: exit code 0' });
    await rt.stop(id, 0);
    const r = await commandProbe(rt, id, ['true'], 1000);
    assert.equal(r.healthy, false);
    assert.match(r.message, /command \["true"\]: exec .* the container is not running/);
  });
});

describe('httpProbe with the codes a readiness check accepts', () => {
  it('is ok on those codes only', async () => {
    const server = http.createServer((req, res) => res.writeHead(req.url === '/warm' ? 204 : 200).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      assert.deepEqual(await httpProbe(port, '/warm', 1000, [204]), { healthy: true, message: `GET http://127.0.0.1:${port}/warm: HTTP 204` });
      assert.deepEqual(await httpProbe(port, '/', 1000, [204]), { healthy: false, message: `GET http://127.0.0.1:${port}/: HTTP 200` });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
