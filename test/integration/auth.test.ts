/**
 * Authentication and authorization on a real `stowage server --tokens` and etcd:
 *
 *   - 401 without or with a bad token (probes and /metrics stay open), 403 naming
 *     verb, kind and namespace for a viewer's write and an operator outside its namespace;
 *   - a namespaced principal's list of every namespace, single-kind watch (live, and
 *     resumed from before the server started, i.e. replayed from etcd), watch of
 *     several kinds and endpoints list show only its namespaces;
 *   - apply under authorization is all or nothing;
 *   - the tokens file is reloaded without a restart (a token added works, one removed stops);
 *   - every write, refused or not, is an audit line without body or token, and the log rotates;
 *   - a second server with tight limits answers 429 with Retry-After (rate, watch streams),
 *     and with --metrics-auth=token wants a token for /metrics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call, type Answer } from '../helpers/http.js';
import { openSse, type SseStream } from '../helpers/sse.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';
import { rememberSecrets } from '../helpers/suite-scan.js';

const SERVICE = lookupKind('Service')!;
const tok = () => randomBytes(24).toString('hex');
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const T = { admin: tok(), bob: tok(), carol: tok(), dave: tok() };
rememberSecrets(...Object.values(T));
const IMAGE = 'localhost/stowage-busybox:auth-test-image';

const svc = (name: string, namespace: string, ports = false): AnyResource =>
  ({
    apiVersion: 'stowage/v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { instances: 1, image: IMAGE, command: ['sleep', '1000'], resources: { cpus: 0.1, mem: 16 }, ...(ports ? { ports: [{ name: 'http' }] } : {}) },
  }) as unknown as AnyResource;

const names = (a: Answer): string[] => (a.json.items as AnyResource[]).map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
const streamed = (s: SseStream): string[] => s.events.filter((e) => e.event !== 'LISTED' && e.event !== 'ERROR').map((e) => {
  const o = JSON.parse(e.data) as AnyResource;
  return `${o.kind}:${o.metadata.namespace ?? ''}/${o.metadata.name}`;
});

describe('auth: tokens, roles and namespace scope', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let server: ServerProc;
  let limited: ServerProc | undefined;
  let dir: string;
  let tokensFile: string;
  let auditFile: string;
  let before0: string;
  const streams: SseStream[] = [];
  const writeTokens = (entries: string[]) => writeFileSync(tokensFile, `tokens:\n${entries.map((e) => `  - ${e}\n`).join('')}`);
  const entry = { admin: `{user: alice, role: admin, sha256: ${sha(T.admin)}}`, bob: `{user: bob, role: operator, namespaces: [a], sha256: ${sha(T.bob)}}`, carol: `{user: carol, role: viewer, namespaces: [a], sha256: ${sha(T.carol)}}`, dave: `{user: dave, role: viewer, sha256: ${sha(T.dave)}}` };
  const as = (token: string | undefined, method: string, path: string, body?: unknown) => call(server.url, method, path, body, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const watch = async (token: string, path: string, base = server.url) => {
    const s = await openSse(base, path, { headers: { authorization: `Bearer ${token}` } });
    streams.push(s);
    return s;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stowage-auth-'));
    tokensFile = join(dir, 'tokens.yaml');
    auditFile = join(dir, 'audit.log');
    writeTokens([entry.admin, entry.bob, entry.carol]);
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    // objects from before the server: a watch resumed from before them is replayed from etcd
    before0 = String((await client.get('/stowage/').exec()).header.revision);
    await store.create(SERVICE, svc('early-a', 'a'));
    await store.create(SERVICE, svc('early-b', 'b'));
    server = await spawnServer(etcd.endpoint, ['--tokens', tokensFile, '--audit-log', auditFile, '--audit-log-max-mb', '0.001']);
  });

  after(async () => {
    for (const s of streams) s.close();
    await limited?.stop();
    await server?.stop();
    client?.close();
    etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('401 without or with a bad token; probes and /metrics need none', async () => {
    for (const [t, path] of [[undefined, '/api/v1/services'], ['nope', '/api/v1/services'], [undefined, '/version'], [undefined, '/api/v1/watch?kinds=services']] as const) {
      const r = await as(t, 'GET', path);
      assert.equal(r.status, 401, `${path} with ${t ?? 'no token'}`);
      assert.equal(r.json.code, 'Unauthorized');
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="stowage"');
    }
    assert.equal((await as(undefined, 'POST', '/api/v1/services', svc('x', 'a'))).status, 401);
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await as(undefined, 'GET', path)).status, 200, path);
    assert.equal((await as(T.admin, 'GET', '/version')).status, 200);
  });

  it('403 names the verb, kind and namespace; each role does what it may', async () => {
    for (const n of ['a', 'b']) {
      assert.equal((await as(T.bob, 'POST', '/api/v1/namespaces', { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: n } })).status, 403, 'an operator creates no namespace');
      assert.equal((await as(T.admin, 'POST', '/api/v1/namespaces', { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: n } })).status, 201);
    }
    assert.equal((await as(T.admin, 'POST', '/api/v1/services', svc('secret-b', 'b', true))).status, 201);
    assert.equal((await as(T.bob, 'POST', '/api/v1/services', svc('web-a', 'a', true))).status, 201);
    const cross = await as(T.bob, 'POST', '/api/v1/services', svc('evil-b', 'b'));
    assert.equal(cross.status, 403);
    assert.deepEqual(cross.json, { code: 'Forbidden', message: 'user bob (operator of a) may not create services in namespace b (bob acts only in namespace a)', details: [] });
    const viewerWrite = await as(T.carol, 'POST', '/api/v1/services', svc('v-a', 'a'));
    assert.equal(viewerWrite.status, 403);
    assert.match(viewerWrite.json.message, /^user carol \(viewer of a\) may not create services in namespace a/);
    assert.equal((await as(T.carol, 'DELETE', '/api/v1/services/a/web-a')).status, 403);
    assert.equal((await as(T.carol, 'GET', '/api/v1/services/a/web-a')).status, 200);
    assert.equal((await as(T.carol, 'GET', '/api/v1/services/b/secret-b')).status, 403);
    assert.equal((await as(T.bob, 'GET', '/api/v1/services?namespace=b')).status, 403);
    assert.equal((await as(T.bob, 'POST', '/api/v1/services/b/secret-b/restart', {})).status, 403);
    assert.equal((await as(T.bob, 'GET', '/api/v1/tasks/b/x/log')).status, 403);
    assert.equal((await as(T.carol, 'GET', '/api/v1/nodes')).status, 200, 'every role reads cluster-scoped kinds');
    assert.equal((await as(T.carol, 'GET', '/api/v1/servers')).status, 200);
    assert.equal((await as(T.carol, 'GET', '/api/v1/sd/targets')).status, 200);
  });

  it('a list of every namespace shows a namespaced principal only its own (services, tasks, endpoints)', async () => {
    assert.deepEqual(names(await as(T.bob, 'GET', '/api/v1/services')), ['a/early-a', 'a/web-a']);
    assert.deepEqual(names(await as(T.admin, 'GET', '/api/v1/services')), ['a/early-a', 'a/web-a', 'b/early-b', 'b/secret-b']);
    // the services loop makes tasks in both namespaces
    await until('tasks in b', async () => (await as(T.admin, 'GET', '/api/v1/tasks?namespace=b')).json.items.length > 0, 20_000);
    const tasks = (await as(T.carol, 'GET', '/api/v1/tasks')).json.items as AnyResource[];
    assert.ok(tasks.length > 0 && tasks.every((t) => t.metadata.namespace === 'a'), JSON.stringify(tasks.map((t) => t.metadata.namespace)));
    const eps = await until('endpoints of both', async () => {
      const all = await as(T.admin, 'GET', '/api/v1/endpoints');
      return all.status === 200 && all.json.items.length >= 2 ? all : undefined;
    }, 20_000);
    assert.ok(eps.json.items.some((e: AnyResource) => e.metadata.namespace === 'b'));
    const mine = await as(T.carol, 'GET', '/api/v1/endpoints');
    assert.deepEqual(names(mine), ['a/web-a']);
  });

  it('watches show a namespaced principal only its namespaces: live, replayed, several kinds', async () => {
    const single = await watch(T.carol, '/api/v1/services?watch=true');
    const multi = await watch(T.carol, '/api/v1/watch?kinds=services,tasks,nodes');
    const replayed = await watch(T.carol, `/api/v1/services?watch=true&resourceVersion=${before0}`);
    const ep = await watch(T.carol, '/api/v1/endpoints?watch=true');
    await multi.until('the list', () => multi.events.some((e) => e.event === 'LISTED'));
    // after the watches started: one object of each namespace
    assert.equal((await as(T.admin, 'POST', '/api/v1/services', svc('later-b', 'b', true))).status, 201);
    assert.equal((await as(T.bob, 'POST', '/api/v1/services', svc('later-a', 'a', true))).status, 201);
    for (const s of [single, multi, replayed]) await s.until('later-a', () => streamed(s).includes('Service:a/later-a'));
    await ep.until('later-a endpoints', () => streamed(ep).some((x) => x.endsWith(':a/later-a')));
    // later-b was written before later-a: had it been sent, it would be here by now
    await multi.until('a task of later-a', () => streamed(multi).some((x) => x.startsWith('Task:a/later-a')), 20_000);
    for (const s of [single, multi, replayed, ep]) {
      const seen = streamed(s);
      assert.deepEqual(seen.filter((x) => !x.includes(':a/') && !x.startsWith('Node:')), [], `nothing of b: ${seen.join(' ')}`);
    }
    assert.ok(streamed(replayed).includes('Service:a/early-a'), 'the replay from etcd has the early object of a');
    assert.equal((await openSse(server.url, '/api/v1/watch?kinds=services&namespace=b', { headers: { authorization: `Bearer ${T.carol}` } }).catch((e: Error) => e.message)).toString().slice(0, 19), 'watch /api/v1/watch');
  });

  it('apply is all or nothing under authorization', async () => {
    const r = await as(T.bob, 'POST', '/api/v1/apply', { items: [svc('batch-a', 'a'), svc('batch-b', 'b')] });
    assert.equal(r.status, 403);
    assert.match(r.json.message, /^document 2 \(Service "batch-b"\): user bob \(operator of a\) may not apply services in namespace b .*nothing of this batch was written$/);
    assert.equal((await as(T.admin, 'GET', '/api/v1/services/a/batch-a')).status, 404, 'the allowed document was not written either');
    const ok = await as(T.bob, 'POST', '/api/v1/apply', { items: [svc('batch-a', 'a')] });
    assert.equal(ok.status, 200);
  });

  it('reloads the tokens file without a restart', async () => {
    assert.equal((await as(T.dave, 'GET', '/api/v1/services')).status, 401);
    writeTokens([entry.admin, entry.carol, entry.dave]);
    await until('the added token to work', async () => (await as(T.dave, 'GET', '/api/v1/services')).status === 200);
    await until('the removed token to stop working', async () => (await as(T.bob, 'GET', '/api/v1/services')).status === 401);
    // a broken file keeps the last good tokens
    writeFileSync(tokensFile, 'tokens: [{user: x, role: root}]\n');
    await until('the refusal in the log', () => server.output.some((l) => l.includes('tokens file not valid; keeping the last good tokens')));
    assert.equal((await as(T.dave, 'GET', '/api/v1/services')).status, 200);
    writeTokens([entry.admin, entry.bob, entry.carol]);
    await until('bob back', async () => (await as(T.bob, 'GET', '/api/v1/services')).status === 200);
  });

  it('audits every write as a JSON line, without body or token, rotating by size', async () => {
    const files = [auditFile, `${auditFile}.1`, `${auditFile}.2`].filter((f) => existsSync(f));
    assert.ok(files.length >= 2, 'rotated at 1 KiB');
    const text = files.map((f) => readFileSync(f, 'utf8')).join('');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const has = (want: Record<string, unknown>) => lines.some((l) => Object.entries(want).every(([k, v]) => l[k] === v));
    assert.ok(has({ user: 'bob', role: 'operator', verb: 'create', kind: 'services', namespace: 'a', name: 'web-a', code: 201 }));
    assert.ok(has({ user: 'bob', verb: 'create', kind: 'services', namespace: 'b', name: 'evil-b', code: 403 }));
    assert.ok(has({ user: 'carol', role: 'viewer', verb: 'delete', namespace: 'a', name: 'web-a', code: 403 }));
    assert.ok(has({ user: 'bob', verb: 'apply', namespace: 'b', name: 'batch-b', code: 403 }));
    assert.ok(has({ user: null, verb: 'post', path: '/api/v1/services', code: 401 }));
    assert.ok(lines.every((l) => typeof l.time === 'string' && typeof l.code === 'number'));
    assert.ok(!lines.some((l) => l.verb === 'get' || l.verb === 'list'), 'reads are not audited');
    assert.ok(!text.includes(IMAGE), 'no body');
    for (const t of Object.values(T)) {
      assert.ok(!text.includes(t), 'no token in the audit log');
      assert.ok(!server.output.join('\n').includes(t), 'no token in the server log');
    }
  });

  it('429 with Retry-After over the request rate and the watch streams cap; --metrics-auth=token', async () => {
    limited = await spawnServer(etcd.endpoint, ['--tokens', tokensFile, '--rate-limit', '0.01', '--rate-limit-burst', '4', '--max-watches', '1', '--metrics-auth', 'token'], [], { until: 'up' });
    assert.equal((await call(limited.url, 'GET', '/metrics')).status, 401);
    assert.equal((await call(limited.url, 'GET', '/metrics', undefined, { headers: { authorization: `Bearer ${T.bob}` } })).status, 200);
    const w1 = await watch(T.carol, '/api/v1/services?watch=true', limited.url);
    const w2 = await call(limited.url, 'GET', '/api/v1/services?watch=true', undefined, { headers: { authorization: `Bearer ${T.carol}` } });
    assert.equal(w2.status, 429);
    assert.match(w2.json.message, /^user carol has 1 watch streams open, the most allowed \(--max-watches 1\)/);
    assert.equal(w2.headers['retry-after'], '5');
    w1.close();
    const answers: Answer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await call(limited.url, 'GET', '/api/v1/services', undefined, { headers: { authorization: `Bearer ${T.admin}` } }));
    const codes = answers.map((a) => a.status);
    assert.deepEqual(codes, [200, 200, 200, 200, 429], 'a burst of 4, then the limit');
    assert.match(answers[4]!.json.message, /^user alice is over the request rate limit \(--rate-limit 0.01 per second, burst 4\)/);
    assert.ok(Number(answers[4]!.headers['retry-after']) >= 1);
    // another user has a bucket of its own
    assert.equal((await call(limited.url, 'GET', '/api/v1/services', undefined, { headers: { authorization: `Bearer ${T.bob}` } })).status, 200);
  });
});
