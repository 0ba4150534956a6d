/**
 * The REST API of a real `bin/stowage server` (from `make build`) on a real
 * etcd: CRUD, label selectors, apply (all or nothing), every kind of bad
 * input with its status code and message, /healthz, /readyz, /metrics
 * (checked by promtool) and /version.
 *
 *   test ──HTTP──► bin/stowage server ──gRPC──► etcd (hack/etcd.sh)
 *
 * The test holds leadership itself until the last test, so no loop writes
 * beside it (etcd revisions move only when the test writes). The watch
 * stream is in api-watch.test.ts, etcd outages in api-etcd.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import type { Etcd3 } from 'etcd3';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';
import { call, type Answer } from '../helpers/http.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STOWAGE = join(ROOT, 'bin/stowage');



const svc = (name: string, extra: { namespace?: string; labels?: Record<string, string>; instances?: number; resourceVersion?: string } = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: {
    name,
    ...(extra.namespace ? { namespace: extra.namespace } : {}),
    ...(extra.labels ? { labels: extra.labels } : {}),
    ...(extra.resourceVersion ? { resourceVersion: extra.resourceVersion } : {}),
  },
  spec: {
    instances: extra.instances ?? 2,
    image: 'localhost/stowage-busybox:1',
    command: ['/bin/sh', '-c', 'exec httpd -f -p $PORT0 -h /www'],
    resources: { cpus: 0.1, mem: 32, disk: 0 },
    ports: [{ name: 'http' }],
  },
});


describe('REST API of a real stowage server', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let base: string;
  let listen: string;
  let client: Etcd3;
  let election: Election;
  const api = (method: string, path: string, body?: unknown, opts?: { agent?: Agent; headers?: Record<string, string> }) => call(base, method, path, body, opts);

  before(async () => {
    assert.ok(existsSync(STOWAGE), 'run `make build` first: bin/stowage is missing');
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    election = new Election(client, { ttl: 2, identity: 'test-leader' }, nopLogger);
    const elected = new Promise((r) => election.once('elected', r));
    await election.start();
    await elected;
    server = await spawnServer(etcd.endpoint, [], [], { built: true, until: 'leader-known' });
    base = server.url;
    listen = base.slice('http://'.length);
  });

  after(async () => {
    await server?.stop();
    await election?.stop();
    client?.close();
    etcd?.stop();
  });

  describe('system routes', () => {
    it('/healthz answers ok', async () => {
      const r = await api('GET', '/healthz');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'ok\n');
    });

    it('/readyz: etcd ok and who leads (a standby names the leader)', async () => {
      const r = await api('GET', '/readyz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { etcd: 'ok', leader: 'test-leader', isLeader: false });
    });

    it('/version is the package version', async () => {
      const r = await api('GET', '/version');
      assert.equal(r.status, 200);
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.deepEqual(r.json, { version: pkg.version });
    });

    it('an unknown route: 404 pointing at /api/v1/', async () => {
      const r = await api('GET', '/nope');
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, { code: 'NotFound', message: 'no route /nope; the API is under /api/v1/', details: [] });
    });
  });

  describe('create, read, list, update, delete', () => {
    it('POST creates (201) and fills what the server owns', async () => {
      const r = await api('POST', '/api/v1/services', svc('web', { labels: { app: 'web', tier: 'front' } }));
      assert.equal(r.status, 201, r.text);
      const m = r.json.metadata;
      assert.equal(m.name, 'web');
      assert.equal(m.namespace, 'default');
      assert.match(m.uid, /^[0-9a-f-]{36}$/);
      assert.match(m.resourceVersion, /^\d+$/);
      assert.equal(m.generation, 1);
      assert.ok(!Number.isNaN(Date.parse(m.creationTimestamp)));
      assert.equal(r.json.spec.instances, 2);
      assert.equal(r.json.spec.upgradeStrategy.minimumHealthCapacity, 1, 'defaults applied');
    });

    it('POST of the same name again: 409 AlreadyExists', async () => {
      const r = await api('POST', '/api/v1/services', svc('web'));
      assert.equal(r.status, 409);
      assert.equal(r.json.code, 'AlreadyExists');
      assert.equal(r.json.message, 'service "web" already exists in namespace "default"');
    });

    it('POST ignores the status, uid and generation a user sends', async () => {
      const body = { ...svc('ignored'), status: { running: 99 } };
      Object.assign(body.metadata, { generation: 42, uid: 'mine', creationTimestamp: '2001-01-01T00:00:00Z', resourceVersion: '1' });
      const r = await api('POST', '/api/v1/services', body);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.status, undefined);
      assert.equal(r.json.metadata.generation, 1);
      assert.notEqual(r.json.metadata.uid, 'mine');
      assert.notEqual(r.json.metadata.creationTimestamp, '2001-01-01T00:00:00Z');
      assert.notEqual(r.json.metadata.resourceVersion, '1');
      assert.equal((await api('DELETE', '/api/v1/services/default/ignored')).status, 200);
    });

    it('GET one object; the same through singular and short kind names', async () => {
      for (const k of ['services', 'service', 'svc']) {
        const r = await api('GET', `/api/v1/${k}/default/web`);
        assert.equal(r.status, 200, k);
        assert.equal(r.json.kind, 'Service');
        assert.equal(r.json.metadata.name, 'web');
        assert.deepEqual(r.json.metadata.labels, { app: 'web', tier: 'front' });
      }
    });

    it('GET of a missing object: 404 naming it and its namespace', async () => {
      const r = await api('GET', '/api/v1/services/default/absent');
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, { code: 'NotFound', message: 'service "absent" not found in namespace "default"', details: [] });
      const n = await api('GET', '/api/v1/services/other/web');
      assert.equal(n.status, 404);
      assert.equal(n.json.message, 'service "web" not found in namespace "other"');
    });

    it('list: all namespaces, one namespace, a List with the read revision', async () => {
      assert.equal((await api('POST', '/api/v1/services', svc('api', { labels: { app: 'api', tier: 'back' } }))).status, 201);
      assert.equal((await api('POST', '/api/v1/services', svc('web', { namespace: 'team-b', labels: { app: 'web', tier: 'front' } }))).status, 201);
      const all = await api('GET', '/api/v1/services');
      assert.equal(all.status, 200);
      assert.equal(all.json.apiVersion, 'stowage/v1');
      assert.equal(all.json.kind, 'List');
      assert.match(all.json.metadata.resourceVersion, /^\d+$/);
      const names = (l: Answer) => l.json.items.map((o: { metadata: { namespace: string; name: string } }) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
      assert.deepEqual(names(all), ['default/api', 'default/web', 'team-b/web']);
      assert.deepEqual(names(await api('GET', '/api/v1/services?namespace=team-b')), ['team-b/web']);
      assert.deepEqual(names(await api('GET', '/api/v1/services?namespace=none')), []);
      assert.deepEqual(names(await api('GET', '/api/v1/jobs')), []);
    });

    it('label selectors: =, !=, in, notin, exists, not exists, AND', async () => {
      const sel = async (s: string) => {
        const r = await api('GET', `/api/v1/services?labelSelector=${encodeURIComponent(s)}`);
        assert.equal(r.status, 200, r.text);
        return r.json.items.map((o: { metadata: { namespace: string; name: string } }) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
      };
      assert.deepEqual(await sel('app=web'), ['default/web', 'team-b/web']);
      assert.deepEqual(await sel('app==api'), ['default/api']);
      assert.deepEqual(await sel('app!=web'), ['default/api']);
      assert.deepEqual(await sel('tier in (front,back)'), ['default/api', 'default/web', 'team-b/web']);
      assert.deepEqual(await sel('tier notin (front)'), ['default/api']);
      assert.deepEqual(await sel('tier'), ['default/api', 'default/web', 'team-b/web']);
      assert.deepEqual(await sel('!tier'), []);
      assert.deepEqual(await sel('app=web,tier=back'), []);
      const r = await api('GET', `/api/v1/services?namespace=team-b&labelSelector=app%3Dweb`);
      assert.equal(r.json.items.length, 1);
    });

    it('a malformed label selector: 400', async () => {
      const r = await api('GET', `/api/v1/services?labelSelector=${encodeURIComponent('app in (web')}`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.code, 'BadRequest');
      assert.match(r.json.message, /app in \(web/);
    });

    it('PUT with the current resourceVersion updates and bumps generation', async () => {
      const cur = (await api('GET', '/api/v1/services/default/web')).json;
      const r = await api('PUT', '/api/v1/services/default/web', svc('web', { instances: 5, labels: { app: 'web', tier: 'front' }, resourceVersion: cur.metadata.resourceVersion }));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.spec.instances, 5);
      assert.equal(r.json.metadata.generation, 2);
      assert.equal(r.json.metadata.uid, cur.metadata.uid, 'uid kept');
      assert.equal(r.json.metadata.creationTimestamp, cur.metadata.creationTimestamp);
      assert.ok(BigInt(r.json.metadata.resourceVersion) > BigInt(cur.metadata.resourceVersion));
      // labels only: the spec did not change, generation stays
      const l = await api('PUT', '/api/v1/services/default/web', svc('web', { instances: 5, labels: { app: 'web' } }));
      assert.equal(l.status, 200, l.text);
      assert.equal(l.json.metadata.generation, 2);
      assert.deepEqual((await api('GET', '/api/v1/services/default/web')).json.metadata.labels, { app: 'web' });
    });

    it('a stale PUT: 409 Conflict naming the version sent and the current one; nothing written', async () => {
      const cur = (await api('GET', '/api/v1/services/default/api')).json;
      const old = cur.metadata.resourceVersion as string;
      const first = await api('PUT', '/api/v1/services/default/api', svc('api', { instances: 3, labels: cur.metadata.labels, resourceVersion: old }));
      assert.equal(first.status, 200, first.text);
      const now = first.json.metadata.resourceVersion as string;
      const stale = await api('PUT', '/api/v1/services/default/api', svc('api', { instances: 7, labels: cur.metadata.labels, resourceVersion: old }));
      assert.equal(stale.status, 409);
      assert.equal(stale.json.code, 'Conflict');
      assert.equal(
        stale.json.message,
        `service "api" has been modified: you sent resourceVersion ${old}, the current one is ${now}; read it again and retry`,
      );
      assert.deepEqual(stale.json.details, [{ field: 'metadata.resourceVersion', rule: 'compare-and-swap', message: `stale: ${old}` }]);
      assert.equal((await api('GET', '/api/v1/services/default/api')).json.spec.instances, 3);
    });

    it('PUT of a missing object: 404; a body naming another object: 400', async () => {
      const missing = await api('PUT', '/api/v1/services/default/absent', svc('absent'));
      assert.equal(missing.status, 404);
      assert.equal(missing.json.message, 'service "absent" not found in namespace "default"');
      const other = await api('PUT', '/api/v1/services/default/web', svc('api'));
      assert.equal(other.status, 400);
      assert.equal(other.json.message, 'the body names service "default/api" but the path names "default/web"');
      assert.deepEqual(other.json.details, [{ field: 'metadata.name', rule: 'match-path', message: 'must match the URL' }]);
    });

    it('DELETE answers the object; then GET and DELETE are 404', async () => {
      const r = await api('DELETE', '/api/v1/services/team-b/web');
      assert.equal(r.status, 200);
      assert.equal(r.json.metadata.name, 'web');
      assert.equal(r.json.metadata.namespace, 'team-b');
      assert.equal((await api('GET', '/api/v1/services/team-b/web')).status, 404);
      const again = await api('DELETE', '/api/v1/services/team-b/web');
      assert.equal(again.status, 404);
      assert.equal(again.json.message, 'service "web" not found in namespace "team-b"');
    });

    it('cluster-scoped kinds: /api/v1/namespaces/<name> and /api/v1/namespaces/_/<name>', async () => {
      const ns = { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'team-c' }, spec: { weight: 2 } };
      const c = await api('POST', '/api/v1/namespaces', ns);
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.metadata.namespace, undefined);
      assert.equal((await api('GET', '/api/v1/namespaces/team-c')).json.spec.weight, 2);
      assert.equal((await api('GET', '/api/v1/ns/_/team-c')).json.metadata.name, 'team-c');
      const missing = await api('GET', '/api/v1/namespaces/absent');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.message, 'namespace "absent" not found');
      assert.equal((await api('DELETE', '/api/v1/namespaces/team-c')).status, 200);
    });

    it('a body of another kind than the path: 400', async () => {
      const r = await api('POST', '/api/v1/jobs', svc('x'));
      assert.equal(r.status, 400);
      assert.equal(r.json.message, 'the body is a Service but the path is for jobs');
    });

    it('unsupported methods and paths: 400 and 404', async () => {
      const patch = await api('PATCH', '/api/v1/services/default/web', {});
      assert.equal(patch.status, 400);
      assert.equal(patch.json.message, 'PATCH is not supported on /api/v1/services/...');
      const del = await api('DELETE', '/api/v1/services');
      assert.equal(del.status, 400);
      assert.equal(del.json.message, 'DELETE is not supported on /api/v1/services');
      const deep = await api('GET', '/api/v1/services/default/web/x/y');
      assert.equal(deep.status, 404);
      assert.equal(deep.json.message, 'expected /api/v1/services/<namespace>/<name>');
      const sub = await api('POST', '/api/v1/services/default/web/explode', {});
      assert.equal(sub.status, 404);
      assert.equal(sub.json.message, 'no subresource "explode" for POST on services');
    });
  });

  describe('apply', () => {
    const apply = (items: unknown) => api('POST', '/api/v1/apply', { items });

    it('created, then unchanged, then configured', async () => {
      const items = [svc('shop', { labels: { app: 'shop' } }), { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'shop' }, spec: {} }];
      let r = await apply(items);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.results, [
        { kind: 'Service', namespace: 'default', name: 'shop', action: 'created' },
        { kind: 'Namespace', name: 'shop', action: 'created' },
      ]);
      const rv = (await api('GET', '/api/v1/services/default/shop')).json.metadata.resourceVersion;
      r = await apply(items);
      assert.deepEqual(
        r.json.results.map((x: { action: string }) => x.action),
        ['unchanged', 'unchanged'],
      );
      assert.equal((await api('GET', '/api/v1/services/default/shop')).json.metadata.resourceVersion, rv, 'unchanged writes nothing');
      r = await apply([svc('shop', { labels: { app: 'shop' }, instances: 4 }), items[1]]);
      assert.deepEqual(r.json.results, [
        { kind: 'Service', namespace: 'default', name: 'shop', action: 'configured' },
        { kind: 'Namespace', name: 'shop', action: 'unchanged' },
      ]);
      const after = (await api('GET', '/api/v1/services/default/shop')).json;
      assert.equal(after.spec.instances, 4);
      assert.equal(after.metadata.generation, 2);
      // a label change alone is "configured" too
      r = await apply([svc('shop', { labels: { app: 'shop', v: '2' }, instances: 4 })]);
      assert.equal(r.json.results[0].action, 'configured');
      assert.equal((await api('GET', '/api/v1/services/default/shop')).json.metadata.generation, 2);
    });

    it('a created object gets its uid and creation time from the server, whatever the document says', async () => {
      const doc = svc('pasted');
      Object.assign(doc.metadata, { uid: 'mine', creationTimestamp: '2001-01-01T00:00:00Z', generation: 9 });
      assert.equal((await apply([doc])).json.results[0].action, 'created');
      const got = (await api('GET', '/api/v1/services/default/pasted')).json;
      assert.notEqual(got.metadata.uid, 'mine');
      assert.notEqual(got.metadata.creationTimestamp, '2001-01-01T00:00:00Z');
      assert.equal(got.metadata.generation, 1);
      assert.equal((await apply([doc])).json.results[0].action, 'unchanged');
      assert.equal((await api('GET', '/api/v1/services/default/pasted')).json.metadata.uid, got.metadata.uid);
      assert.equal((await api('DELETE', '/api/v1/services/default/pasted')).status, 200);
    });

    it('one bad document among good ones: 422 listing every failing path and rule; nothing written', async () => {
      const badSpec = svc('bad-one');
      Object.assign(badSpec.spec, { instances: -1, resources: { cpus: 'lots', mem: 32 }, colour: 'red' });
      const badMeta = svc('Bad_Name');
      (badMeta.metadata as Record<string, unknown>).namespace = '-x';
      const items = [svc('fresh-a'), badSpec, svc('shop', { instances: 9 }), badMeta];
      const before = await api('GET', '/api/v1/services');
      const r = await apply(items);
      assert.equal(r.status, 422, r.text);
      assert.equal(r.json.code, 'Invalid');
      const got = r.json.details.map((d: { document: number; object: string; field: string; rule: string }) => [d.document, d.object, d.field, d.rule]);
      assert.deepEqual(
        got.sort(),
        [
          [2, 'Service "bad-one"', 'spec.colour', 'additionalProperties'],
          [2, 'Service "bad-one"', 'spec.instances', 'minimum'],
          [2, 'Service "bad-one"', 'spec.resources.cpus', 'type'],
          [4, 'Service "Bad_Name"', 'metadata.name', 'dnsLabel'],
          [4, 'Service "Bad_Name"', 'metadata.namespace', 'dnsLabel'],
        ].sort(),
        JSON.stringify(r.json.details, null, 1),
      );
      assert.match(r.json.message, /^2 of 4 documents are invalid: /);
      for (const d of r.json.details) assert.ok(r.json.message.includes(d.message), `message lists ${d.message}`);
      assert.match(r.json.message, /document 2 \(Service "bad-one"\): spec\.instances: must be >= 0/);
      // nothing of the batch was written: no new object, no update of "shop"
      assert.equal((await api('GET', '/api/v1/services/default/fresh-a')).status, 404);
      assert.equal((await api('GET', '/api/v1/services/default/shop')).json.spec.instances, 4);
      const afterList = await api('GET', '/api/v1/services');
      assert.equal(afterList.json.metadata.resourceVersion, before.json.metadata.resourceVersion, 'etcd revision did not move');
    });

    it('the same object twice in one batch: 422 duplicate, nothing written', async () => {
      const r = await apply([svc('twice'), svc('twice', { instances: 3 })]);
      assert.equal(r.status, 422);
      assert.deepEqual(
        r.json.details.map((d: { document: number; field: string; rule: string }) => [d.document, d.field, d.rule]),
        [[2, 'metadata.name', 'duplicate']],
      );
      assert.equal((await api('GET', '/api/v1/services/default/twice')).status, 404);
    });

    it('unknown kind and wrong apiVersion in a batch: 400 naming the known kinds; nothing written', async () => {
      const r = await apply([svc('never'), { apiVersion: 'stowage/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: {} }, { ...svc('v2'), apiVersion: 'stowage/v2' }]);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.code, 'BadRequest');
      assert.deepEqual(
        r.json.details.map((d: { document: number; object: string; field: string; rule: string; message: string }) => [d.document, d.object, d.field, d.rule, d.message]),
        [
          [2, 'Deployment "d"', 'kind', 'kind', 'document 2 (Deployment "d"): kind: unknown kind "Deployment" (known kinds: Namespace, Node, Service, Job, JobRun, Task, Event, Secret)'],
          [3, 'Service "v2"', 'apiVersion', 'apiVersion', 'document 3 (Service "v2"): apiVersion: must be "stowage/v1", got "stowage/v2"'],
        ],
      );
      assert.equal((await api('GET', '/api/v1/services/default/never')).status, 404);
    });

    it('a kind that is close to a known one gets a suggestion', async () => {
      const r = await apply([{ apiVersion: 'stowage/v1', kind: 'service', metadata: { name: 's' }, spec: {} }]);
      assert.equal(r.status, 400);
      assert.match(r.json.details[0].message, /^document 1 \(service "s"\): kind: unknown kind "service"; did you mean "Service"\?/);
    });

    it('an empty or missing items list: 400', async () => {
      for (const body of [{ items: [] }, {}, { items: 'x' }]) {
        const r = await api('POST', '/api/v1/apply', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.message, 'apply needs a non-empty "items" array of objects');
      }
      const get = await api('GET', '/api/v1/apply');
      assert.equal(get.status, 400);
      assert.equal(get.json.message, 'GET is not supported on /api/v1/apply');
    });

    it('a batch over 128 objects is written in several transactions, all created', async () => {
      const items = Array.from({ length: 150 }, (_, i) => svc(`many-${i}`, { labels: { batch: 'many' } }));
      const r = await apply(items);
      assert.equal(r.status, 200, r.text.slice(0, 500));
      assert.equal(r.json.results.length, 150);
      assert.ok(r.json.results.every((x: { action: string }) => x.action === 'created'));
      const l = await api('GET', '/api/v1/services?labelSelector=batch%3Dmany');
      assert.equal(l.json.items.length, 150);
    });
  });

  describe('bad input', () => {
    it('unknown kind in the path: 404 listing the known kinds', async () => {
      const r = await api('GET', '/api/v1/deployments');
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, {
        code: 'NotFound',
        message: 'unknown kind "deployments"; known kinds: namespaces, nodes, services, jobs, jobruns, tasks, events, secrets',
        details: [],
      });
      const post = await api('POST', '/api/v1/deployments/default/x', {});
      assert.equal(post.status, 404);
    });

    it('wrong or missing apiVersion: 400 saying which one is expected', async () => {
      const r = await api('POST', '/api/v1/services', { ...svc('x'), apiVersion: 'apps/v1' });
      assert.equal(r.status, 400);
      assert.equal(r.json.code, 'BadRequest');
      assert.equal(r.json.message, 'Service "x": apiVersion: must be "stowage/v1", got "apps/v1"');
      assert.deepEqual(r.json.details, [{ field: 'apiVersion', rule: 'apiVersion', message: 'must be "stowage/v1", got "apps/v1"' }]);
      const { apiVersion: _a, ...noVersion } = svc('x');
      const m = await api('POST', '/api/v1/services', noVersion);
      assert.equal(m.status, 400);
      assert.equal(m.json.message, 'Service "x": apiVersion: is required (stowage/v1)');
    });

    it('names that are not DNS-1123 labels: 422 with the rule', async () => {
      const rule = "must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";
      for (const name of ['Hello_World', 'UPPER', '-lead', 'trail-', 'a.b', 'a'.repeat(64)]) {
        const r = await api('POST', '/api/v1/services', svc(name));
        assert.equal(r.status, 422, name);
        assert.equal(r.json.code, 'Invalid');
        const d = r.json.details.find((x: { field: string }) => x.field === 'metadata.name');
        assert.ok(d, `${name}: ${r.text}`);
        assert.ok(d.message.startsWith(rule), d.message);
      }
      const empty = await api('POST', '/api/v1/services', svc(''));
      assert.equal(empty.status, 422);
      const ns = await api('POST', '/api/v1/services', svc('ok', { namespace: 'Team_A' }));
      assert.equal(ns.status, 422);
      assert.equal(ns.json.details[0].field, 'metadata.namespace');
      const list = await api('GET', '/api/v1/services');
      assert.ok(!list.json.items.some((o: { metadata: { name: string } }) => o.metadata.name === 'ok'));
    });

    it('a schema violation on POST: 422 listing each path and rule', async () => {
      const body = svc('broken');
      Object.assign(body.spec, { instances: 1.5, image: '' });
      delete (body.spec as Record<string, unknown>).command;
      (body.spec as Record<string, unknown>).healthChecks = [{ protocol: 'HTTP', port: 'nope' }];
      const r = await api('POST', '/api/v1/services', body);
      assert.equal(r.status, 422, r.text);
      const fields = r.json.details.map((d: { field: string; rule: string }) => `${d.field} ${d.rule}`);
      assert.ok(fields.includes('spec.instances type'), fields.join(', '));
      assert.ok(fields.some((f: string) => f.startsWith('spec.image ')), fields.join(', '));
      assert.ok(fields.some((f: string) => f.startsWith('spec.healthChecks[0].port ')), fields.join(', '));
      assert.match(r.json.message, /^Service "broken": /);
      for (const d of r.json.details) assert.ok(r.json.message.includes(`${d.field}: ${d.message}`), d.message);
    });

    it('a body that is not JSON, empty, or not an object: 400', async () => {
      const bad = await api('POST', '/api/v1/services', '{"apiVersion": ');
      assert.equal(bad.status, 400);
      assert.match(bad.json.message, /^request body is not valid JSON: /);
      const empty = await api('POST', '/api/v1/services', '');
      assert.equal(empty.status, 400);
      assert.equal(empty.json.message, 'request body is empty; expected a JSON object');
      const arr = await api('POST', '/api/v1/services', '[1,2]');
      assert.equal(arr.status, 400);
      assert.equal(arr.json.message, 'object (no name): must be a mapping with apiVersion, kind, metadata and spec, got a list');
    });

    it('a body over 1 MiB: 413, with Content-Length or chunked; the connection stays usable', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const big = svc('huge');
        (big.metadata as Record<string, unknown>).annotations = { blob: 'x'.repeat(1024 * 1024) };
        const r = await api('POST', '/api/v1/services', big, { agent });
        assert.equal(r.status, 413);
        assert.deepEqual(r.json, {
          code: 'TooLarge',
          message: 'request body is over the limit of 1048576 bytes (1 MiB): an object must fit in one etcd key',
          details: [],
        });
        // chunked: no Content-Length, the server counts as it reads
        const chunked = await new Promise<number>((resolve, reject) => {
          const u = new URL(base);
          const req = request({ host: u.hostname, port: u.port, path: '/api/v1/apply', method: 'POST', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          for (let i = 0; i < 24; i++) req.write('x'.repeat(100_000));
          req.end();
        });
        assert.equal(chunked, 413);
        // the same keep-alive client goes on working
        for (let i = 0; i < 3; i++) assert.equal((await api('GET', '/healthz', undefined, { agent })).status, 200);
        // just under the limit is accepted
        const fits = svc('almost-huge');
        (fits.metadata as Record<string, unknown>).annotations = { blob: 'x'.repeat(1024 * 1024 - 600) };
        const ok = await api('POST', '/api/v1/services', fits, { agent });
        assert.equal(ok.status, 201, ok.text.slice(0, 300));
        assert.equal((await api('GET', '/api/v1/services/default/huge')).status, 404);
        assert.equal((await api('DELETE', '/api/v1/services/default/almost-huge')).status, 200);
      } finally {
        agent.destroy();
      }
    });
  });

  describe('/metrics', () => {
    it('counts and times requests by verb, kind and code', async () => {
      await api('GET', '/api/v1/services/default/absent');
      const r = await api('GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      const value = (line: string) => {
        const m = r.text.split('\n').find((l) => l.startsWith(`${line} `));
        return m === undefined ? undefined : Number(m.slice(line.length + 1));
      };
      assert.ok((value('stowage_api_requests_total{verb="POST",kind="services",code="201"}') ?? 0) >= 3, 'creates counted');
      assert.ok((value('stowage_api_requests_total{verb="GET",kind="services",code="404"}') ?? 0) >= 1, 'not found counted');
      assert.ok((value('stowage_api_requests_total{verb="POST",kind="apply",code="422"}') ?? 0) >= 1, 'apply counted');
      assert.ok((value('stowage_api_requests_total{verb="GET",kind="unknown",code="404"}') ?? 0) >= 1, 'unknown kinds share one label');
      assert.ok((value('stowage_api_request_duration_seconds_count{verb="POST",kind="services"}') ?? 0) >= 3);
      assert.ok(value('stowage_api_request_duration_seconds_bucket{le="+Inf",verb="POST",kind="services"}') !== undefined, r.text.slice(0, 2000));
      assert.match(r.text, /^# TYPE stowage_api_request_duration_seconds histogram$/m);
      assert.match(r.text, /^process_cpu_seconds_total /m, 'prom-client defaults');
      assert.match(r.text, /^nodejs_eventloop_lag_seconds /m);
      assert.doesNotMatch(r.text, /^# TYPE stowage_(agent|task)_/m, "the agent's families are the agent's");
    });

    it('passes promtool check metrics', async (t) => {
      const which = spawnSync('sh', ['-c', 'command -v promtool']);
      if (which.status !== 0) {
        const inst = spawnSync(join(ROOT, 'hack/install-deps.sh'), ['prometheus'], { stdio: 'inherit' });
        if (inst.status !== 0) return t.skip('promtool is not installed and hack/install-deps.sh prometheus failed');
      }
      const r = await api('GET', '/metrics');
      const check = spawnSync('promtool', ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
      assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
      assert.equal(check.stdout + check.stderr, '');
    });
  });

  describe('subresources', () => {
    it('rollback: 404 for a missing service or revision, 400 with nothing to roll back to or a bad revision', async () => {
      const missing = await api('POST', '/api/v1/services/default/absent/rollback', {});
      assert.equal(missing.status, 404);
      assert.equal(missing.json.message, 'service "absent" not found in namespace "default"');
      const none = await api('POST', '/api/v1/services/default/web/rollback');
      assert.equal(none.status, 400);
      assert.equal(none.json.message, 'nothing to roll back to: service/web has no revision history yet');
      const zero = await api('POST', '/api/v1/services/default/web/rollback', { revision: 0 });
      assert.equal(zero.status, 400);
      assert.equal(zero.json.message, 'revision must be a positive integer, got 0');
      const unknown = await api('POST', '/api/v1/services/default/web/rollback', { revision: 7 });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.message, 'revision 7 of service/web not found; known revisions: none yet');
    });

    it('job run of a job that does not exist: 404 naming it (the jobs subresources are in jobs-api.test.ts)', async () => {
      const r = await api('POST', '/api/v1/jobs/default/report/run', {});
      assert.equal(r.status, 404);
      assert.equal(r.json.message, 'job "report" not found in namespace "default"');
    });

    it('task log of a task on no node: 400; of a missing task: 404', async () => {
      const task = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'lonely' }, spec: { image: 'x:1', resources: { cpus: 0.1, mem: 16 } } };
      const c = await api('POST', '/api/v1/tasks', task);
      if (c.status !== 201) return assert.fail(`task create: ${c.text}`);
      assert.deepEqual(c.json.status, { state: 'Pending' }, 'a new task starts Pending');
      const r = await api('GET', '/api/v1/tasks/default/lonely/log');
      assert.equal(r.status, 400);
      assert.equal(r.json.message, 'task "lonely" is Pending and not on any node yet: it has no logs');
      const m = await api('GET', '/api/v1/tasks/default/absent/log');
      assert.equal(m.status, 404);
      assert.equal((await api('DELETE', '/api/v1/tasks/default/lonely')).status, 200);
    });
  });

  describe('concurrency', () => {
    it('concurrent creates: 200 names at once all created; one name 50 times at once: one 201, 49 409', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 64 });
      try {
        const many = await Promise.all(Array.from({ length: 200 }, (_, i) => api('POST', '/api/v1/services', svc(`burst-${i}`, { namespace: 'burst' }), { agent })));
        assert.deepEqual([...new Set(many.map((r) => r.status))], [201], many.find((r) => r.status !== 201)?.text);
        const uids = new Set(many.map((r) => r.json.metadata.uid));
        assert.equal(uids.size, 200);
        const list = await api('GET', '/api/v1/services?namespace=burst');
        assert.equal(list.json.items.length, 200);
        const byName = new Map(list.json.items.map((o: { metadata: { name: string } }) => [o.metadata.name, o]));
        for (const r of many) assert.deepEqual(byName.get(r.json.metadata.name), r.json, 'the answer is what was stored');
        const same = await Promise.all(Array.from({ length: 50 }, (_, i) => api('POST', '/api/v1/services', svc('contended', { namespace: 'burst', instances: i + 1 }), { agent })));
        const created = same.filter((r) => r.status === 201);
        assert.equal(created.length, 1, same.map((r) => r.status).join(','));
        assert.equal(same.filter((r) => r.status === 409 && r.json.message === 'service "contended" already exists in namespace "burst"').length, 49);
        const stored = (await api('GET', '/api/v1/services/burst/contended')).json;
        assert.deepEqual(stored, created[0]!.json, 'the one answered 201 is the one stored');
        // existing names among new ones at once: each answer as if alone
        for (const i of [3, 7]) assert.equal((await api('POST', '/api/v1/services', svc(`pre-${i}`, { namespace: 'burst' }))).status, 201);
        const mixed = await Promise.all(Array.from({ length: 20 }, (_, i) => api('POST', '/api/v1/services', svc(`pre-${i}`, { namespace: 'burst' }), { agent })));
        assert.deepEqual(
          mixed.map((r, i) => (r.status === 201 ? 'created' : `${i} ${r.status} ${r.json.code}`)).filter((x) => x !== 'created'),
          ['3 409 AlreadyExists', '7 409 AlreadyExists'],
        );
      } finally {
        agent.destroy();
      }
    });
  });

  it('the server logs JSON lines', () => {
    const lines = server.output.filter((l) => l.trim() !== '');
    assert.ok(lines.length > 0);
    for (const l of lines) {
      const j = JSON.parse(l) as { level?: string; message?: string; timestamp?: string };
      assert.ok(j.level && j.message && j.timestamp, l);
    }
    assert.ok(lines.some((l) => JSON.parse(l).message === 'serving'));
  });

  it('when the leader steps down this server leads, and /readyz names it by host, pid and address', async () => {
    await election.stop();
    const r = await until('the server to lead', async () => {
      const x = await api('GET', '/readyz');
      return x.json?.isLeader ? x : undefined;
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { etcd: 'ok', leader: `${hostname()}/${server.child.pid}@${listen}`, isLeader: true });
  });
});
