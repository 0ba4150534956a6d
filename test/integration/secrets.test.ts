/**
 * Secrets through a real `stowage server --secrets-key` on a real etcd:
 *
 *   POST /api/v1/secrets ──► etcd /stowage/secrets/a/db holds sealed values (read raw)
 *   GET, list, watch (one kind and /api/v1/watch), PUT and apply answers ──► keys, "<redacted>", sizes
 *   GET ?reveal=1 (admin) ──► the values
 *   a Service with env {secret, key} ──► its tasks keep the reference (read raw)
 *   GET /api/v1/tasks/<ns>/<name>/secret-env ──► admin or the bound node only
 *
 * The server leads (its services loop makes the tasks); no agent runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Principal } from '../../pkg/auth/principal.js';
import { setPrincipal } from '../../pkg/auth/principal.js';
import type { Task } from '../../pkg/api/types.js';
import { SecretCipher } from '../../pkg/secrets/cipher.js';
import { serveSecretEnv } from '../../pkg/server/secrets.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import { openSse } from '../helpers/sse.js';
import { ROOT } from '../helpers/agent.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { stowageCommand } from '../helpers/commands.js';
import { until } from '../helpers/wait.js';
import { rememberSecrets } from '../helpers/suite-scan.js';

const TASK = lookupKind('Task')!;
const VALUE = `sv-${randomBytes(12).toString('hex')}`;
rememberSecrets(VALUE);
const VALUE2 = `sv2-${randomBytes(12).toString('hex')}`;
const secret = (data: Record<string, string>) => ({ apiVersion: 'stowage/v1', kind: 'Secret', metadata: { name: 'db', namespace: 'a' }, data });

describe('Secrets on a real server and etcd', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let server: ServerProc;
  let base: string;
  const key = randomBytes(32);
  const dir = mkdtempSync(join(tmpdir(), 'stowage-secrets-'));
  const keyFile = join(dir, 'key');
  const api = (method: string, path: string, body?: unknown) => call(base, method, path, body);

  before(async () => {
    writeFileSync(keyFile, key.toString('base64') + '\n', { mode: 0o600 });
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    server = await spawnServer(etcd.endpoint, ['--secrets-key', keyFile]);
    base = server.url;
    for (const ns of ['a']) await api('POST', '/api/v1/namespaces', { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: ns } });
  });

  after(async () => {
    await server?.stop();
    client?.close();
    etcd?.stop();
  });

  it('refuses a bad --secrets-key file at start, naming the flag', () => {
    writeFileSync(join(dir, 'short'), 'too short\n');
    const [cmd, ...pre] = stowageCommand();
    const r = spawnSync(cmd!, [...pre, 'server', '--secrets-key', join(dir, 'short'), '--etcd', etcd.endpoint], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: --secrets-key: ${join(dir, 'short')}: holds 10 bytes; expected 32 random bytes, raw or base64 (head -c 32 /dev/urandom | base64 > FILE)\n`);
  });

  it('stores each value sealed: the raw etcd value holds no value, and opens with the key', async () => {
    const watch = await openSse(base, '/api/v1/secrets?watch=1&namespace=a');
    const multi = await openSse(base, '/api/v1/watch?kinds=secrets,tasks');
    const created = await api('POST', '/api/v1/secrets', secret({ password: VALUE, user: 'app' }));
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.data, { password: '<redacted>', user: '<redacted>' });
    const raw = await client.get('/stowage/secrets/a/db').string();
    assert.ok(raw && !raw.includes(VALUE), 'the stored object holds no value');
    const stored = JSON.parse(raw!) as { data: Record<string, string> };
    const cipher = new SecretCipher(key);
    assert.match(stored.data.password!, new RegExp(`^stowage:enc:aesgcm:v1:${cipher.keyId}:`));
    assert.equal(cipher.open(stored.data.password!, 'a/db/password'), VALUE);

    // a change goes through PUT; the watches see keys only
    const cur = await api('GET', '/api/v1/secrets/a/db');
    const put = await api('PUT', '/api/v1/secrets/a/db', { ...secret({ password: VALUE2, user: 'app' }), metadata: { name: 'db', namespace: 'a', resourceVersion: cur.json.metadata.resourceVersion } });
    assert.equal(put.status, 200, put.text);
    await until('both watches saw the update', () => watch.events.filter((e) => e.event === 'MODIFIED').length > 0 && multi.events.some((e) => e.event === 'MODIFIED' && e.data.includes('"Secret"')));
    const seen = [...watch.events, ...multi.events].map((e) => e.data).join('\n');
    assert.ok(!seen.includes(VALUE) && !seen.includes(VALUE2), 'no watch event carries a value');
    assert.ok(seen.includes('<redacted>'));
    watch.close();
    multi.close();
  });

  it('GET and list redact (keys kept, sizes given); ?reveal=1 opens for an admin', async () => {
    const one = await api('GET', '/api/v1/secrets/a/db');
    assert.deepEqual(one.json.data, { password: '<redacted>', user: '<redacted>' });
    assert.deepEqual(one.json.status, { sizes: { password: VALUE2.length, user: 3 } });
    for (const path of ['/api/v1/secrets', '/api/v1/secrets?namespace=a', '/api/v1/secrets?reveal=1']) {
      const l = await api('GET', path);
      assert.equal(l.status, 200);
      assert.equal(l.json.items.length, 1);
      assert.ok(!l.text.includes(VALUE2), `${path} shows no value`);
    }
    const shown = await api('GET', '/api/v1/secrets/a/db?reveal=1');
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.json.data, { password: VALUE2, user: 'app' });
    assert.equal(shown.headers['cache-control'], 'no-store');
  });

  it('apply compares values opened: the same data is unchanged, a new value is configured', async () => {
    const same = await api('POST', '/api/v1/apply', { items: [secret({ password: VALUE2, user: 'app' })] });
    assert.deepEqual(same.json.results.map((r: { action: string }) => r.action), ['unchanged']);
    const changed = await api('POST', '/api/v1/apply', { items: [secret({ password: VALUE, user: 'app' })] });
    assert.deepEqual(changed.json.results.map((r: { action: string }) => r.action), ['configured']);
    assert.ok(!(await client.get('/stowage/secrets/a/db').string())!.includes(VALUE));
    assert.deepEqual((await api('GET', '/api/v1/secrets/a/db?reveal=1')).json.data.password, VALUE);
  });

  it('a Service referencing the secret: its tasks keep the reference; the secret-env endpoint answers only the resolved env', async () => {
    const svc = {
      apiVersion: 'stowage/v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'a' },
      spec: { instances: 1, image: 'localhost/stowage-busybox:1', command: ['sleep', '100'], env: { PASSWORD: { secret: 'db', key: 'password' }, MODE: 'x' }, resources: { cpus: 0.1, mem: 16 } },
    };
    const r = await api('POST', '/api/v1/services', svc);
    assert.equal(r.status, 201, r.text);
    let task: Task | undefined;
    await until('the services loop made a task', async () => {
      task = (await store.list<Task>(TASK, 'a')).items[0]?.object;
      return task !== undefined;
    });
    assert.deepEqual(task!.spec.env, { PASSWORD: { secret: 'db', key: 'password' }, MODE: 'x' });
    const env = await api('GET', `/api/v1/tasks/a/${task!.metadata.name}/secret-env`);
    assert.equal(env.status, 200, env.text);
    assert.deepEqual(env.json, { apiVersion: 'stowage/v1', kind: 'SecretEnv', env: { PASSWORD: VALUE }, missing: [] });

    // scope: only an admin or the node the task is bound to
    const s = await store.get<Task>(TASK, 'a', task!.metadata.name);
    await store.putStatus(TASK, 'a', task!.metadata.name, { ...s!.object.status, nodeName: 'n1' }, s!.statusRev);
    const cipher = new SecretCipher(key);
    const as = async (p: Principal) => {
      const req = new IncomingMessage(new Socket());
      setPrincipal(req, p);
      const res = new ServerResponse(req);
      let body = '';
      res.end = ((chunk: string) => ((body = chunk), res)) as typeof res.end;
      try {
        await serveSecretEnv(store, cipher, req, res, 'a', task!.metadata.name);
        return { status: res.statusCode, body };
      } catch (e) {
        return { status: (e as { status: number }).status, body: (e as Error).message };
      }
    };
    assert.deepEqual(JSON.parse((await as({ user: 'n1', role: 'node' })).body).env, { PASSWORD: VALUE });
    assert.deepEqual(await as({ user: 'n2', role: 'node' }), {
      status: 403,
      body: `node "n2" may not read the secret env of task "${task!.metadata.name}" in namespace "a": only an admin or the node it is bound to (n1) may`,
    });
    for (const role of ['viewer', 'operator'] as const) assert.equal((await as({ user: 'u', role })).status, 403);
    assert.equal((await as({ user: 'root', role: 'admin' })).status, 200);

    // a missing key is named, not an error of the endpoint
    const t2: Task = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'hand', namespace: 'a' }, spec: { image: 'i', resources: { cpus: 0.1, mem: 16, disk: 0 }, env: { P: { secret: 'db', key: 'nope' } } } };
    await store.create(TASK, t2);
    const missing = await api('GET', '/api/v1/tasks/a/hand/secret-env');
    assert.equal(missing.status, 200, missing.text);
    assert.deepEqual(missing.json.missing, [{ env: 'P', secret: 'db', key: 'nope', reason: 'KeyNotFound' }]);
  });

  it('the scan finds no value outside the Secret: tasks, services, events, the server log', async () => {
    const leaks = await scanForSecrets([VALUE, VALUE2], { client, logs: { server: server.output } });
    assert.deepEqual(leaks, []);
    // and the scan does find one where it is (the Secret itself, read with a key-less view of a plaintext copy)
    await client.put('/stowage/events/a/planted').value(JSON.stringify({ message: VALUE }));
    assert.deepEqual(await scanForSecrets([VALUE], { client }), [{ where: 'etcd /stowage/events/a/planted', value: 0 }]);
    await client.delete().key('/stowage/events/a/planted');
  });
});
