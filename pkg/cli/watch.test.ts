/** `get -w` over the SSE stream: rows per change, reconnect with Last-Event-ID, start afresh on Gone. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './program.js';
import { captureIo, sendJson, startFakeApi, svc, type FakeApi } from './testutil.js';

let api: FakeApi;
before(async () => (api = await startFakeApi()));
after(() => api.close());
beforeEach(() => api.reset());

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const watches = () => api.requests.filter((r) => r.query.get('watch') === '1');

test('get -w: the table, then a row per change; a dropped stream resumes from the last event id', async () => {
  api.put(svc('a'));
  const c = captureIo();
  const ac = new AbortController();
  const done = run(['--server', api.url, 'get', 'svc', '-w'], c.io, { signal: ac.signal });
  await until('the first watch', () => watches().length === 1);
  const w0 = watches()[0]!;
  assert.equal(w0.query.get('namespace'), 'default');
  assert.equal(w0.query.get('resourceVersion'), '101', 'starts from the list revision');
  assert.match(c.out(), /^NAME +INSTANCES +RUNNING +HEALTHY +DEPLOYMENT +AGE\na +3 /);

  api.emit('MODIFIED', svc('a', { status: { instances: 3, running: 2, healthy: 1 } }), '200');
  api.emit('ADDED', svc('b'), '201');
  await until('two rows', () => c.out().split('\n').length === 5);
  assert.match(c.out().split('\n')[2]!, /^a +3 +2 +1 /);
  assert.match(c.out().split('\n')[3]!, /^b +3 +0 +0 /);

  api.dropStreams();
  await until('a reconnect', () => watches().length === 2);
  assert.equal(watches()[1]!.headers['last-event-id'], '201');
  assert.equal(watches()[1]!.query.get('resourceVersion'), null);
  assert.match(c.err(), /watch: .*; reconnecting\n/);
  api.emit('DELETED', svc('b'), '202');
  await until('the row after the reconnect', () => c.out().split('\n').length === 6);

  ac.abort();
  assert.equal(await done, 0);
});

test('a watch answered with Gone starts again without a revision; rows already printed are not repeated', async () => {
  api.put(svc('a'));
  let gone = true;
  api.handle((req, res) => {
    if (req.query.get('watch') !== '1' || !gone) return false;
    gone = false;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: ERROR\ndata: {"code":"Gone","message":"too old"}\n\n');
    return true;
  });
  const c = captureIo();
  const ac = new AbortController();
  const done = run(['--server', api.url, 'get', 'svc', '-w'], c.io, { signal: ac.signal });
  await until('the second watch', () => watches().length === 2);
  assert.equal(watches()[1]!.query.get('resourceVersion'), null);
  assert.equal(watches()[1]!.headers['last-event-id'], undefined);
  const a = api.objects.get('services/default/a')!;
  api.emit('ADDED', a, '300'); // the fresh stream's snapshot: already printed
  api.emit('ADDED', svc('c'), '301');
  await until('the new row', () => /\nc +3/.test(c.out()));
  assert.equal(c.out().match(/\na +3/g)!.length, 1);
  ac.abort();
  assert.equal(await done, 0);
});

test('a resumed watch answered with HTTP 410 Gone starts again without a revision', async () => {
  api.put(svc('a'));
  api.handle((req, res) => req.query.get('resourceVersion') !== null && sendJson(res, 410, { code: 'Gone', message: 'revision 101 was compacted', details: [] }));
  const c = captureIo();
  const ac = new AbortController();
  const done = run(['--server', api.url, 'get', 'svc', '-w'], c.io, { signal: ac.signal });
  await until('the second watch', () => watches().length === 2);
  assert.equal(watches()[1]!.query.get('resourceVersion'), null);
  ac.abort();
  assert.equal(await done, 0);
});

test('a watch that cannot connect at all is an error', async () => {
  api.handle((req, res) => req.query.get('watch') === '1' && sendJson(res, 400, { code: 'BadRequest', message: 'bad selector', details: [] }));
  const c = captureIo();
  const code = await run(['--server', api.url, 'get', 'svc', '-w', '-l', '=='], c.io, {});
  assert.equal(code, 1);
  assert.equal(c.err(), 'error: bad selector\n');
});
