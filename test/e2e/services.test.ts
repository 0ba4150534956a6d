/**
 * A Service end to end, as a user runs it: `stowctl apply -f --wait` of a
 * 3-instance busybox httpd with an HTTP health check on one real Docker
 * agent; it becomes 3 healthy; `docker kill` of one container brings it
 * back to 3 healthy, with a new task, within 5 s; get/describe show it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerCli, ensureDocker, testNodeName } from '../helpers/docker.js';
import { getService, isHealthy, probe, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const manifest = (instances: number) => `apiVersion: stowage/v1
kind: Service
metadata: {name: hello}
spec:
  instances: ${instances}
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 2
  healthChecks:
    - {protocol: HTTP, port: http, path: /, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
`;

describe('services e2e: one HTTP service on Docker', () => {
  let c: Cluster;
  const node = testNodeName('svc');
  let dir: string;

  before(async () => {
    ensureDocker();
    dir = mkdtempSync(join(tmpdir(), 'stowage-svc-'));
    c = await startCluster({ nodes: [node] });
  });
  after(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('apply --wait: a live progress line until 3/3 healthy, then exit 0', async () => {
    const f = join(dir, 'hello.yaml');
    writeFileSync(f, manifest(3));
    const t0 = Date.now();
    const r = await stowctl(c.server.url, ['apply', '-f', f, '--wait', '--timeout', '60s']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^service\/hello created\n/);
    assert.match(r.out, /service\/hello: \d\/3 healthy, \d running, deployment progressing \(revision 1\)\n/);
    assert.match(r.out, /service\/hello: rollout complete, 3\/3 healthy \(revision 1\)\n$/);
    const tasks = (await serviceTasks(c.store, 'hello')).filter(isHealthy);
    assert.equal(tasks.length, 3);
    for (const t of tasks) assert.equal(await probe(t.status?.ports?.http), 'ok\n', `task ${t.metadata.name} serves`);
    console.log(`# 3 healthy ${Date.now() - t0} ms after apply`);
  });

  it('docker kill of one container: back to 3 healthy, with a new task, within 5 s', async () => {
    const before = await serviceTasks(c.store, 'hello');
    const victim = before.find(isHealthy)!;
    dockerCli(['kill', victim.status!.containerId!]);
    const t0 = Date.now();
    const after = await until('3 healthy again with a new task', async () => {
      const ts = await serviceTasks(c.store, 'hello');
      const healthy = ts.filter(isHealthy);
      return healthy.length === 3 && !healthy.some((t) => t.metadata.name === victim.metadata.name) && healthy;
    }, 5000, 50);
    const took = Date.now() - t0;
    console.log(`# back to 3 healthy ${took} ms after docker kill`);
    assert.ok(took <= 5000);
    assert.equal(after.filter((t) => !before.some((b) => b.metadata.name === t.metadata.name)).length, 1, 'exactly one new task');
    // the service's status follows its tasks' statuses: it may say 2 healthy a moment longer
    const svc = await until('the failure recorded and 3 healthy in the service status', async () => {
      const s = await getService(c.store, 'hello');
      return s?.status?.lastFailures?.[0]?.task === victim.metadata.name && s.status.healthy === 3 && s;
    }, 5000);
    assert.equal(svc.status?.lastFailures?.[0]?.exitCode, 137);
  });

  it('get services shows INSTANCES RUNNING HEALTHY DEPLOYMENT AGE; describe shows tasks, revision, failures, events', async () => {
    await until('status caught up', async () => (await getService(c.store, 'hello'))?.status?.running === 3, 5000);
    const g = await stowctl(c.server.url, ['get', 'services']);
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /^NAME +INSTANCES +RUNNING +HEALTHY +DEPLOYMENT +AGE\nhello +3 +3 +3 +complete +\d+s\n$/);
    const d = await stowctl(c.server.url, ['describe', 'service', 'hello']);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /\n  Deployment: +complete, revision 1/);
    assert.match(d.out, /\nRevisions:\n  REVISION +HASH .*\n  1\* /);
    assert.match(d.out, /\nLast Failures:\n.*\n .* Failed +137 /);
    assert.match(d.out, /\nTasks:\n  NAME .*\n(  hello-[a-z0-9]{5} +Running +Healthy .*\n){3}/);
    assert.match(d.out, /\nEvents:\n[\s\S]*TaskFailed/);
  });

  it('a task whose health check starts failing is replaced surge-first: the new one is healthy before the sick one is killed', async () => {
    const before = (await serviceTasks(c.store, 'hello')).filter(isHealthy);
    const sick = before[0]!;
    dockerCli(['exec', sick.status!.containerId!, 'rm', '/www/index.html']); // httpd now answers 404
    let killedWhileShort = false;
    const t0 = Date.now();
    await until('the sick task killed and 3 healthy others', async () => {
      const ts = await serviceTasks(c.store, 'hello');
      const me = ts.find((t) => t.metadata.name === sick.metadata.name);
      const others = ts.filter((t) => t.metadata.name !== sick.metadata.name && isHealthy(t));
      if (me?.spec.desiredState === 'Killed' && others.length < 3) killedWhileShort = true;
      return (!me || me.spec.desiredState === 'Killed') && others.length === 3;
    }, 20_000, 100);
    console.log(`# unhealthy task replaced ${Date.now() - t0} ms after its check started failing`);
    assert.equal(killedWhileShort, false, 'killed only once its replacement was healthy');
    const svc = await until('recorded', async () => {
      const s = await getService(c.store, 'hello');
      return s?.status?.lastFailures?.[0]?.state === 'Unhealthy' && s;
    }, 5000);
    assert.equal(svc.status?.lastFailures?.[0]?.task, sick.metadata.name);
    assert.match(svc.status!.lastFailures![0]!.message!, /404/);
    assert.equal(svc.status?.healthKills?.length, 1);
  });

  it('scale service/hello --instances 1: the two youngest go', async () => {
    const ts = (await serviceTasks(c.store, 'hello')).filter(isHealthy).sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!));
    const r = await stowctl(c.server.url, ['scale', 'service/hello', '--instances', '1']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'service/hello scaled from 3 to 1\n');
    const left = await until('one task left', async () => {
      const l = await serviceTasks(c.store, 'hello');
      return l.length === 1 && l;
    }, 10_000);
    assert.equal(left[0]!.metadata.name, ts[0]!.metadata.name, 'the oldest stays');
    const s = await until('complete at 1', async () => {
      const x = await getService(c.store, 'hello');
      return x?.status?.deployment?.state === 'complete' && x.status.deployment.instances === 1 && x;
    }, 10_000);
    assert.equal(s.status?.healthy, 1);
  });
});
