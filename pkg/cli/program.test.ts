/** Flag and kind parsing: global flags before or after the verb, exit codes, messages. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeApi, stowctl, svc, type FakeApi } from './testutil.js';

let api: FakeApi;
before(async () => {
  api = await startFakeApi();
  api.put(svc('hello', {}, 'x'));
  api.put(svc('other', {}, 'default'));
});
after(() => api.close());

const lastGet = () => api.requests.filter((r) => r.method === 'GET').at(-1)!;

test('global flags work before and after the verb', async () => {
  for (const args of [
    ['--server', api.url, '-n', 'x', 'get', 'svc'],
    ['get', 'svc', '-n', 'x', '--server', api.url],
    ['-n', 'x', 'get', '--server', api.url, 'services'],
    ['get', '--namespace=x', 'service', `--server=${api.url}`],
  ]) {
    const r = await stowctl(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    assert.equal(lastGet().path, '/api/v1/services');
    assert.equal(lastGet().query.get('namespace'), 'x', args.join(' '));
    assert.match(r.out, /^NAME +INSTANCES/);
    assert.match(r.out, /\nhello /);
  }
});

test('STOWAGE_SERVER is used when --server is not given', async () => {
  const r = await stowctl(['get', 'svc', 'other', '-o', 'name'], {}, undefined, { STOWAGE_SERVER: api.url });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'service/other\n');
});

test('-A lists all namespaces with a NAMESPACE column; -o before the verb', async () => {
  const r = await stowctl(['-o', 'wide', '--server', api.url, 'get', 'svc', '-A']);
  assert.equal(r.code, 0, r.err);
  assert.equal(lastGet().query.get('namespace'), null);
  assert.match(r.out, /^NAMESPACE +NAME +INSTANCES .* IMAGE +REVISION +SERVICE-PORTS\n/);
  assert.match(r.out, /\ndefault +other /);
  assert.match(r.out, /\nx +hello /);
});

test('kinds by singular, plural, short name and KIND/NAME', async () => {
  for (const args of [['svc', 'hello'], ['service', 'hello'], ['services', 'hello'], ['Service', 'hello'], ['service/hello']]) {
    const r = await stowctl(['--server', api.url, '-n', 'x', 'get', ...args, '-o', 'name']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'service/hello\n');
    assert.equal(lastGet().path, '/api/v1/services/x/hello');
  }
});

test('an unknown kind lists the known ones and exits 1', async () => {
  const r = await stowctl(['--server', api.url, 'get', 'foo']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: unknown kind "foo"; known kinds: namespaces, nodes, services, jobs, jobruns, tasks, events, secrets\n');
});

test('a missing object: kubectl-like message, exit 1', async () => {
  const r = await stowctl(['--server', api.url, 'get', 'svc', 'nope']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: service "nope" not found in namespace "default"\n');
  const n = await stowctl(['--server', api.url, 'get', 'node', 'nope']);
  assert.equal(n.err, 'error: node "nope" not found\n');
});

test('bad flags exit non-zero and name the flag', async () => {
  let r = await stowctl(['get', 'svc', '-o', 'xml']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /^error: option '-o, --output <format>' argument 'xml' is invalid/);
  r = await stowctl(['get', 'svc', '--bogus']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /unknown option '--bogus'/);
  r = await stowctl(['--server', api.url, 'scale', 'service/hello', '--instances', '-3']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /--instances.*must be >= 0, got -3/);
  r = await stowctl(['--server', api.url, 'scale', 'service/hello', '--instances', 'many']);
  assert.match(r.err, /--instances must be a whole number, got "many"/);
  r = await stowctl(['--server', api.url, 'scale', 'service/hello']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /required option '--instances <n>' not specified/);
  r = await stowctl(['--server', api.url, 'rollout', 'status', 'service/hello', '--timeout', 'soon']);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid value "soon" for --timeout/);
  r = await stowctl(['--server', 'ftp://x', 'get', 'svc']);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid --server "ftp:\/\/x"/);
});

test('an unreachable server: the address tried, the cause, and what to do', async () => {
  const r = await stowctl(['--server', 'http://127.0.0.1:1', 'get', 'svc']);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    'error: cannot reach the Stowage server at http://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is it running? set --server or STOWAGE_SERVER\n',
  );
});

test('--help and --version exit 0', async () => {
  const h = await stowctl(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /Usage: stowctl/);
  const v = await stowctl(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.out, /^\d+\.\d+\.\d+/);
});
