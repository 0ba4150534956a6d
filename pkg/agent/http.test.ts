/**
 * The agent's endpoint on bad requests: 4xx in the error shape, never a 500
 * and never an exit. In process, with a LogSource that records what it was
 * asked; raw bytes over a socket where no HTTP client would send them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { nopLogger } from '../log/logger.js';
import { bearerMatches, startAgentServer, type AgentServer } from './http.js';
import { RuntimeError } from './runtime/runtime.js';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Poll f until it holds; fail after ms naming what was awaited. */
async function until<T>(what: string, f: () => T | undefined | false, ms = 2000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(out));
    setTimeout(() => s.destroy(), 2000).unref();
  });
}

describe('agent http: bad requests', () => {
  let server: AgentServer;
  const asked: string[] = [];
  let followed: Readable | undefined;
  before(async () => {
    server = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      log: nopLogger,
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      logs: {
        openLogs: async (ns, name) => {
          asked.push(`${ns}/${name}`);
          if (name === 'gone') throw new RuntimeError('ContainerNotFound', 'logs: no container abc on node n');
          if (name === 'slow') {
            // a runtime slow to open a followed log: the client is long gone when it returns
            await new Promise((r) => setTimeout(r, 300));
            return (followed = new Readable({ read: () => undefined }));
          }
          return name === 'here' ? Readable.from(['hello\n']) : undefined;
        },
      },
    });
  });
  after(() => server.close());

  it('a good log read still works, with escaped names', async () => {
    const r = await get(server.port, '/tasks/default/%68ere/log');
    assert.deepEqual(r, { status: 200, body: 'hello\n' });
  });

  it('a bad escape in a path segment: 400 naming it (decodeURIComponent threw: 500)', async () => {
    const r = await get(server.port, '/tasks/%zz/x/log');
    assert.equal(r.status, 400);
    const message = 'request target: path segment "%zz" is not valid percent-encoding (a "%" must start an escape like %2F of UTF-8 bytes)';
    assert.deepEqual(JSON.parse(r.body), { code: 'BadRequest', message, details: [{ field: 'path', message }] });
  });

  it('"//[" is a path with no route (new URL threw: 500)', async () => {
    const r = await get(server.port, '//[');
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { code: 'NotFound', message: 'no route //[; try /tasks/<namespace>/<name>/log', details: [] });
  });

  it('a bad absolute-form target: 400 (new URL threw: 500)', async () => {
    const r = await get(server.port, 'http://[::1');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'request target "http://[::1" is not a valid URL');
  });

  it('a tail past the safe integers: 400 (1e300 went through to the runtime)', async () => {
    const r = await get(server.port, '/tasks/default/here/log?tail=1e300');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'tail: "1e300" is not an integer >= 0');
  });

  it('a container gone between lookup and read: 404 (the RuntimeError was a 500)', async () => {
    const r = await get(server.port, '/tasks/default/gone/log');
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).message, 'task "gone" in namespace "default" has no container on this agent');
  });

  it('a followed log whose client left while it was opened is closed (it streamed on for good)', async () => {
    const s = connect(server.port, '127.0.0.1', () => s.end('GET /tasks/default/slow/log?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n', () => s.destroy()));
    s.on('error', () => undefined);
    await until('the log to be opened', () => followed);
    await until('the followed log to be destroyed', () => followed!.destroyed, 5000);
  });

  it('what the parser refuses, and a missing Host: 400 in the error shape', async () => {
    const bad = await raw(server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(bad, /\{"code":"BadRequest","message":"malformed HTTP request: Invalid header token"/);
    const noHost = await raw(server.port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(noHost, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(noHost, /"message":"an HTTP\/1\.1 request needs a Host header"/);
  });
});

describe('agent http: the log route answers the servers only', () => {
  let server: AgentServer;
  const SECRET = 'f00d'.repeat(16);
  before(async () => {
    server = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      log: nopLogger,
      secret: SECRET,
      metrics: async () => ({ contentType: 'text/plain', body: 'm 1\n' }),
      logs: { openLogs: async () => Readable.from(['hello\n']) },
    });
  });
  after(() => server.close());

  const call = (path: string, auth?: string) => fetch(`http://127.0.0.1:${server.port}${path}`, auth ? { headers: { authorization: auth } } : {});

  it('401 without the secret, with a wrong one, or with it not as a Bearer token; 200 with it', async () => {
    for (const auth of [undefined, 'Bearer nope', `Bearer ${SECRET}x`, SECRET, `Basic ${SECRET}`]) {
      const r = await call('/tasks/default/here/log', auth);
      assert.equal(r.status, 401, `authorization ${auth}`);
      assert.equal(((await r.json()) as { code: string }).code, 'Unauthorized');
    }
    const ok = await call('/tasks/default/here/log', `Bearer ${SECRET}`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'hello\n');
  });

  it('/healthz and /metrics stay open', async () => {
    assert.equal((await call('/healthz')).status, 200);
    assert.equal(await (await call('/metrics')).text(), 'm 1\n');
  });

  it('bearerMatches compares whole tokens', () => {
    assert.equal(bearerMatches(`Bearer ${SECRET}`, SECRET), true);
    assert.equal(bearerMatches(undefined, SECRET), false);
    assert.equal(bearerMatches('Bearer ', ''), false);
  });
});
