/**
 * Malformed requests a real `stowage server` once died on or answered with
 * a 5xx or an empty body, each with the exact answer it gets now. The
 * server is a standby on an etcd whose leadership the test holds, so the
 * revision moves only when a request writes; after each test the process
 * still runs and nothing was written.
 *
 *   raw bytes ──TCP──► stowage server (child, from sources) ──► etcd
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Task } from '../../pkg/api/types.js';
import { call } from '../helpers/http.js';
import { startQuietServer } from '../helpers/quiet-server.js';
import { sendRaw, type RawAnswer } from '../helpers/raw-http.js';
import { use } from '../helpers/use.js';
import { until } from '../helpers/wait.js';

const TASK = lookupKind('Task')!;

describe('malformed requests to a real stowage server', () => {
  const q = use(startQuietServer);
  const raw = (text: string, waitMs?: number): Promise<RawAnswer> => sendRaw(q.port, Buffer.from(text, 'latin1'), { kind: 'whole' }, { waitMs });
  const json = (a: RawAnswer): unknown => JSON.parse(a.body ?? 'null');
  let rev = '';

  beforeEach(async () => {
    rev = await q.revision();
  });
  afterEach(async () => {
    assert.ok(q.alive(), `the server exited:\n${q.server.output.slice(-15).join('\n')}`);
    assert.equal((await call(q.url, 'GET', '/healthz')).status, 200);
    assert.equal(await q.revision(), rev, 'nothing is written');
  });

  describe('request targets (Node 20\'s new URL() throws on these: the process died)', () => {
    it('GET //[ : 404, no such route', async () => {
      const a = await raw('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.head?.status, 404);
      assert.deepEqual(json(a), { code: 'NotFound', message: 'no route //[; the API is under /api/v1/', details: [] });
    });

    it('GET //x:99999 : 404, no such route', async () => {
      const a = await raw('GET //x:99999 HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.head?.status, 404);
      assert.deepEqual(json(a), { code: 'NotFound', message: 'no route //x:99999; the API is under /api/v1/', details: [] });
    });

    it('GET http://[::1 (absolute-form, no closing bracket): 400 naming the target', async () => {
      const a = await raw('GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.head?.status, 400);
      const message = 'request target "http://[::1" is not a valid URL';
      assert.deepEqual(json(a), { code: 'BadRequest', message, details: [{ field: 'requestTarget', rule: 'url', message }] });
    });

    it('GET /api/v1/services/%zz (decodeURIComponent threw): 400 naming the segment', async () => {
      const a = await raw('GET /api/v1/services/%zz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.head?.status, 400);
      const message = 'path segment "%zz" is not valid percent-encoding (a "%" must start an escape like %2F of UTF-8 bytes)';
      assert.deepEqual(json(a), { code: 'BadRequest', message: `request target: ${message}`, details: [{ field: 'path', rule: 'percentEncoding', message }] });
    });

    it('absolute-form with a good URL is served like origin-form', async () => {
      const a = await raw('GET http://127.0.0.1/api/v1/services/default/nope HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.head?.status, 404);
      assert.deepEqual(json(a), { code: 'NotFound', message: 'service "nope" not found in namespace "default"', details: [] });
    });
  });

  describe('what Node\'s parser refuses: answered in the API\'s error shape (it was an empty 400)', () => {
    it('a header name with a space: 400', async () => {
      const a = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n');
      assert.equal(a.head?.status, 400);
      assert.equal(a.head?.headers.connection, 'close');
      const message = 'malformed HTTP request: Invalid header token';
      assert.deepEqual(json(a), { code: 'BadRequest', message, details: [{ field: 'request', rule: 'HPE_INVALID_HEADER_TOKEN', message }] });
    });

    it('Content-Length beside Transfer-Encoding: 400', async () => {
      const a = await raw('POST /api/v1/services HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      assert.equal(a.head?.status, 400);
      assert.equal((json(a) as { message: string }).message, "malformed HTTP request: Transfer-Encoding can't be present with Content-Length");
    });

    it('headers over 16 KiB: 431', async () => {
      const a = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.equal(a.head?.status, 431);
      const message = 'the request line and headers are over the limit of 16384 bytes';
      assert.deepEqual(json(a), { code: 'TooLarge', message, details: [{ field: 'request', rule: 'HPE_HEADER_OVERFLOW', message }] });
    });

    it('HTTP/1.1 without Host: 400', async () => {
      const a = await raw('GET /healthz HTTP/1.1\r\n\r\n');
      assert.equal(a.head?.status, 400);
      const message = 'an HTTP/1.1 request needs a Host header';
      assert.deepEqual(json(a), { code: 'BadRequest', message, details: [{ field: 'host', rule: 'required', message: 'required in HTTP/1.1' }] });
    });

    it('an Expect other than 100-continue: 417', async () => {
      const a = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: fancy\r\n\r\n');
      assert.equal(a.head?.status, 417);
      const message = 'Expect: fancy is not supported; only 100-continue is';
      assert.deepEqual(json(a), { code: 'BadRequest', message, details: [{ field: 'expect', rule: 'expectation', message }] });
    });
  });

  describe('bodies', () => {
    const counted = async (code: string): Promise<number> => {
      const text = (await call(q.url, 'GET', '/metrics')).text;
      const line = text.split('\n').find((l) => l.startsWith('stowage_api_requests_total{') && l.includes('verb="POST"') && l.includes('kind="services"') && l.includes(`code="${code}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    };

    it('Content-Length 5 with 4 bytes, then the client hangs up: counted as a 400 (it was a 500 "aborted")', async () => {
      const [bad, internal] = [await counted('400'), await counted('500')];
      const a = await raw('POST /api/v1/services HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{"a"', 300);
      assert.equal(a.head, undefined, 'no answer while the body is incomplete');
      await until('the cut-off request to be counted', async () => (await counted('400')) === bad + 1);
      assert.equal(await counted('500'), internal);
    });

    it('nested deeper than 64 levels: 400 (a deep apiVersion overflowed the stack: 500)', async () => {
      const body = `{"apiVersion":${'{"a":'.repeat(20_000)}"x"${'}'.repeat(20_000)},"kind":"Service"}`;
      const r = await call(q.url, 'POST', '/api/v1/services', body);
      assert.equal(r.status, 400);
      assert.deepEqual(r.json, { code: 'BadRequest', message: 'request body nests arrays and objects deeper than 64 levels', details: [] });
    });
  });

  describe('subresources', () => {
    it('restart with a malformed body: 400, the service not restarted (it answered 200 and wrote)', async () => {
      const svc = { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'rs' }, spec: { image: 'x', resources: { cpus: 0.1, mem: 16 } } };
      assert.equal((await call(q.url, 'POST', '/api/v1/services', svc)).status, 201);
      rev = await q.revision();
      const r = await call(q.url, 'POST', '/api/v1/services/default/rs/restart', '{"a"');
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 'BadRequest');
      assert.match(r.json.message, /^request body is not valid JSON/);
      const arr = await call(q.url, 'POST', '/api/v1/services/default/rs/restart', '[1]');
      assert.deepEqual([arr.status, arr.json.message], [400, 'expected no body or a JSON object like {}']);
    });
  });

  describe('resourceVersion', () => {
    it('PUT with an empty metadata.resourceVersion: 422 (etcd refused it: 503)', async () => {
      const svc = { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'rv' }, spec: { image: 'x', resources: { cpus: 0.1, mem: 16 } } };
      assert.equal((await call(q.url, 'POST', '/api/v1/services', svc)).status, 201);
      rev = await q.revision();
      const r = await call(q.url, 'PUT', '/api/v1/services/default/rv', { ...svc, metadata: { name: 'rv', resourceVersion: '' } });
      assert.equal(r.status, 422);
      assert.deepEqual(r.json, {
        code: 'Invalid',
        message: 'metadata.resourceVersion must be a decimal etcd revision, as read from the object; got ""',
        details: [{ field: 'metadata.resourceVersion', rule: 'revision', message: 'a decimal etcd revision' }],
      });
    });

    it('a watch from 2^64+1 (etcd wrapped it around to 1 and the stream stayed silent): 400', async () => {
      const a = await raw('GET /api/v1/services?watch=1&resourceVersion=18446744073709551617 HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.head?.status, 400);
      assert.equal((json(a) as { message: string }).message, 'resourceVersion must be a decimal etcd revision; got "18446744073709551617"');
      const l = await raw('GET /api/v1/services?watch=1 HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 9223372036854775808\r\n\r\n');
      assert.equal(l.head?.status, 400);
      assert.equal((json(l) as { message: string }).message, 'resourceVersion must be a decimal etcd revision; got "9223372036854775808"');
    });
  });

  describe('watch streams', () => {
    it('a client that leaves at once leaves no stream behind (one that left while etcd was read stayed open for good)', async () => {
      const open = async () => Number(/^stowage_api_watch_streams (\d+)$/m.exec((await call(q.url, 'GET', '/metrics')).text)?.[1] ?? 'NaN');
      for (let i = 0; i < 40; i++) await sendRaw(q.port, Buffer.from('GET /api/v1/services?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n'), { kind: 'leave' });
      await until('every watch stream to close', async () => (await open()) === 0, 10_000);
    });

    it('a watch asked with a body the server never reads ends when its client leaves (the unread body held the socket paused until the next ping, 15 s)', async () => {
      const open = async () => Number(/^stowage_api_watch_streams (\d+)$/m.exec((await call(q.url, 'GET', '/metrics')).text)?.[1] ?? 'NaN');
      const body = ' '.repeat(3 << 20);
      // reading ends at the stream's first chunk; the bound only caps a loaded machine's 3 MiB write
      const a = await raw(`GET /api/v1/tasks?watch=true HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 30_000);
      assert.equal(a.head?.status, 200);
      await until('the watch stream to close', async () => (await open()) === 0, 5_000);
    });

    it('a watch whose body ends after its head stays open until its client leaves (Node closes a request once its body is read: the stream ended with it)', async () => {
      const open = async () => Number(/^stowage_api_watch_streams (\d+)$/m.exec((await call(q.url, 'GET', '/metrics')).text)?.[1] ?? 'NaN');
      const body = ' '.repeat(1 << 20);
      const sock = connect(q.port, '127.0.0.1');
      try {
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
        sock.write(`GET /api/v1/tasks?watch=true HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
        await until('the stream to begin', () => /^HTTP\/1\.1 200[\s\S]*: watching tasks/.test(got), 30_000);
        await until('the stream to be counted', async () => (await open()) === 1, 10_000);
        await new Promise<void>((res, rej) => sock.write(body, (e) => (e ? rej(e) : res())));
        await until('the body to be read (the socket drained)', () => sock.writableLength === 0, 30_000);
        for (let i = 0; i < 5; i++) assert.equal(await open(), 1, 'the stream ended while its client was still there');
      } finally {
        sock.destroy();
      }
      await until('the watch stream to close', async () => (await open()) === 0, 5_000);
    });
  });

  describe('the log proxy', () => {
    it('a node address that is not host:port: 503 naming it (http.request threw on port NaN: 500)', async () => {
      const node = { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'fz-garbage' }, spec: { address: 'garbage' } };
      assert.equal((await call(q.url, 'POST', '/api/v1/nodes', node)).status, 201);
      const task = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'on-garbage' }, spec: { image: 'x', resources: { cpus: 0.1, mem: 16 } } };
      assert.equal((await call(q.url, 'POST', '/api/v1/tasks', task)).status, 201);
      const cur = (await q.store.get<Task>(TASK, 'default', 'on-garbage'))!;
      await q.store.putStatus(TASK, 'default', 'on-garbage', { state: 'Running', nodeName: 'fz-garbage' }, cur.statusRev);
      rev = await q.revision();
      const r = await call(q.url, 'GET', '/api/v1/tasks/default/on-garbage/log');
      assert.equal(r.status, 503);
      assert.deepEqual(r.json, { code: 'Unavailable', message: 'node "fz-garbage" advertises the address "garbage" for logs, which is not host:port', details: [] });
    });
  });
});
