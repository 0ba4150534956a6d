/**
 * A Secret end to end on Docker, as a user runs it, then the secrets scan:
 *
 *   stowctl apply -f: Namespace sec, Secret db {password}, a Service whose
 *   env PASSWORD is {secret: db, key: password} (busybox httpd serving it),
 *   a Job that prints it and fails, a Service naming a missing key
 *        │
 *        ▼  server --secrets-key K, agent --etcd --secrets-key K
 *   the httpd serves the value (it reached the container's environment);
 *   the Job's stored output has it masked; the missing key fails its task
 *   with SecretNotFound and an event naming secret and key;
 *   stowctl get/describe show keys and sizes, never the value;
 *   the scan: etcd read raw (events, tasks' specs and statuses, services,
 *   jobs, runs), the server's and the agent's logs hold no value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Event, Service, Task } from '../../pkg/api/types.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { scanForSecrets } from '../helpers/secret-scan.js';
import { probe, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';
import { rememberSecrets } from '../helpers/suite-scan.js';

const TASK = lookupKind('Task')!;
const EVENT = lookupKind('Event')!;
const SERVICE = lookupKind('Service')!;
const VALUE = `sv-${randomBytes(12).toString('hex')}`;
rememberSecrets(VALUE);

const manifests = `apiVersion: stowage/v1
kind: Namespace
metadata: {name: sec}
---
apiVersion: stowage/v1
kind: Secret
metadata: {name: db, namespace: sec}
data:
  password: ${VALUE}
  user: app
---
apiVersion: stowage/v1
kind: Service
metadata: {name: uses-secret, namespace: sec}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "mkdir -p /tmp/w && echo $PASSWORD > /tmp/w/index.html && exec httpd -f -p $PORT0 -h /tmp/w"]
  env: {PASSWORD: {secret: db, key: password}}
  resources: {cpus: 0.1, mem: 16, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 1
---
apiVersion: stowage/v1
kind: Job
metadata: {name: prints-secret, namespace: sec}
spec:
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo connecting with $PASSWORD; exit 3"]
  env: {PASSWORD: {secret: db, key: password}}
  resources: {cpus: 0.1, mem: 16, disk: 0}
  retries: 0
---
apiVersion: stowage/v1
kind: Service
metadata: {name: wrong-key, namespace: sec}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["sleep", "100"]
  env: {PASSWORD: {secret: db, key: passwd}}
  resources: {cpus: 0.1, mem: 16, disk: 0}
`;

describe('secrets e2e: a secret reaches the container and nothing else', () => {
  let c: Cluster;
  let dir: string;
  const node = testNodeName('secrets');
  const tasks = async () => (await c.store.list<Task>(TASK, 'sec')).items.map((s) => s.object);
  const ownedBy = (ts: Task[], owner: string) => ts.filter((t) => t.metadata.labels?.['stowage/owner'] === owner);

  before(async () => {
    ensureDocker();
    dir = mkdtempSync(join(tmpdir(), 'stowage-secrets-e2e-'));
    const key = join(dir, 'secrets.key');
    writeFileSync(key, randomBytes(32).toString('base64'), { mode: 0o600 });
    c = await startCluster({ nodes: [node], serverArgs: ['--secrets-key', key], agentArgs: ['--secrets-key', key] });
  });
  after(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stowctl apply: the service serves the value from its environment', async () => {
    const f = join(dir, 'all.yaml');
    writeFileSync(f, manifests);
    const r = await stowctl(c.server.url, ['apply', '-f', f]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /secret\/db created/);
    assert.ok(!(r.out + r.err).includes(VALUE));
    await until('the httpd serves the value', async () => {
      const t = ownedBy(await tasks(), 'service/uses-secret').find((x) => x.status?.state === 'Running');
      return (await probe(t?.status?.ports?.http)) === `${VALUE}\n`;
    }, 60_000, 200);
  });

  it("masks the value in a failed job's stored output", async () => {
    const t = await until('the job task failed', async () => (await tasks()).find((x) => x.spec.owner?.startsWith('jobrun/prints-secret') && x.status?.state === 'Failed'), 60_000, 200);
    assert.equal(t.status?.exitCode, 3);
    assert.equal(t.status?.output, 'connecting with ***');
  });

  it('fails a task whose key is missing: reason SecretNotFound, no container, an event naming secret and key', async () => {
    // each failed task is replaced (with launch backoff) and collected; the service keeps the failures
    const svc = await until('a SecretNotFound failure recorded', async () => {
      const s = (await c.store.get<Service>(SERVICE, 'sec', 'wrong-key'))?.object;
      return s?.status?.lastFailures?.find((f) => f.reason === 'SecretNotFound') && s;
    }, 60_000, 200);
    const f = svc.status!.lastFailures!.find((x) => x.reason === 'SecretNotFound')!;
    assert.equal(f.state, 'Failed');
    assert.equal(f.message, 'env PASSWORD: secret "db" has no key "passwd"');
    await until('the event', async () => (await c.store.list<Event>(EVENT, 'sec')).items.some((e) => e.object.spec.reason === 'SecretNotFound' && e.object.spec.message === 'env PASSWORD: secret "db" has no key "passwd"'), 10_000);
    const del = await stowctl(c.server.url, ['delete', 'service', 'wrong-key', '-n', 'sec']);
    assert.equal(del.code, 0, del.err);
  });

  it('stowctl get and describe show keys and sizes, never the value', async () => {
    const get = await stowctl(c.server.url, ['get', 'secrets', '-n', 'sec']);
    assert.equal(get.code, 0, get.err);
    assert.match(get.out, /^NAME\s+DATA\s+KEYS\s+AGE\ndb\s+2\s+password,user\s+/);
    const desc = await stowctl(c.server.url, ['describe', 'secret', 'db', '-n', 'sec']);
    assert.equal(desc.code, 0, desc.err);
    assert.match(desc.out, new RegExp(`password\\s+${VALUE.length} bytes`));
    assert.match(desc.out, /user\s+3 bytes/);
    const outs = [get, desc];
    for (const args of [['get', 'secret', 'db', '-n', 'sec', '-o', 'yaml'], ['get', 'tasks', '-n', 'sec', '-o', 'yaml'], ['get', 'services', '-n', 'sec', '-o', 'json'], ['describe', 'service', 'uses-secret', '-n', 'sec'], ['events', '-n', 'sec']]) {
      const r = await stowctl(c.server.url, args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      outs.push(r);
    }
    assert.match(outs[5]!.out, /Env:\s+PASSWORD=<secret db\/password>\n/);
    assert.ok(!outs.some((r) => (r.out + r.err).includes(VALUE)), 'no stowctl output shows the value');
  });

  it('the secrets scan: etcd (read raw) and the server and agent logs hold no value', async () => {
    const leaks = await scanForSecrets([VALUE], { client: c.client, logs: { server: c.server.output, agent: c.agents.get(node)!.output } });
    assert.deepEqual(leaks, []);
    // the Secret itself is stored sealed
    const raw = await c.client.get('/stowage/secrets/sec/db').string();
    assert.ok(raw && !raw.includes(VALUE));
  });
});
