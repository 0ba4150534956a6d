/**
 * Readiness checks on real Docker agents: the app serves / (its health
 * check) at once but /ready only 3 s after it starts, like a cache warming.
 * A rolling upgrade with minimumHealthCapacity 1, sampled every 100 ms from
 * etcd, never kills an old task while the new one is healthy but not yet
 * ready: the tasks that serve (healthy and ready, not being killed) never
 * drop below the instances.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from '../../pkg/api/types.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { getService, isHealthy, isLive, probe, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';
import { sampleEvery } from '../helpers/wait.js';

const N = 2;
const manifest = (greeting: string) => `apiVersion: stowage/v1
kind: Service
metadata: {name: warm}
spec:
  instances: ${N}
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo ${greeting} > /www/index.html && (sleep 3 && echo ready > /www/ready) & exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 2
  upgradeStrategy: {minimumHealthCapacity: 1, maximumOverCapacity: 0}
  healthChecks:
    - {protocol: HTTP, port: http, path: /, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
  readinessChecks:
    - {protocol: HTTP, port: http, path: /ready, intervalSeconds: 1, timeoutSeconds: 0.5}
`;

const isKilling = (t: Task) => t.spec.desiredState === 'Killed';
/** Serving: healthy, past its readiness check, not being killed. */
const isServing = (t: Task) => isHealthy(t) && t.status?.ready === true;

interface Samples {
  n: number;
  minServing: number;
  /** A new task was healthy but not ready while every old task still served: the window the gate covers. */
  sawWindow: boolean;
  /** Samples in which an old task was being killed, or gone, with no new task ready. */
  earlyKills: string[];
}

function sampler(c: Cluster, oldHash: string): { stop: () => Promise<Samples> } {
  const s: Samples = { n: 0, minServing: Infinity, sawWindow: false, earlyKills: [] };
  const sampling = sampleEvery(100, async () => {
    const ts = (await serviceTasks(c.store, 'warm')).filter(isLive);
    const old = ts.filter((t) => t.spec.templateHash === oldHash);
    const fresh = ts.filter((t) => t.spec.templateHash !== oldHash);
    s.minServing = Math.min(s.minServing, ts.filter(isServing).length);
    const oldServing = old.filter((t) => isServing(t) && !isKilling(t)).length;
    if (oldServing === N && fresh.some((t) => isHealthy(t) && t.status?.ready !== true)) s.sawWindow = true;
    if (oldServing < N && !fresh.some(isServing)) s.earlyKills.push(ts.map((t) => `${t.metadata.name}:${t.status?.state}/${t.status?.health}/ready=${t.status?.ready}${isKilling(t) ? '/killing' : ''}`).join(' '));
    s.n++;
  });
  return { stop: () => sampling.stop().then(() => s) };
}

describe('services e2e: readiness checks', () => {
  let c: Cluster;
  const nodes = [testNodeName('ready-a'), testNodeName('ready-b')];

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes });
  });
  after(async () => {
    await c?.stop();
  });

  const apply = (m: string) => stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '90s'], { stdin: m });
  const bodies = async () => Promise.all((await serviceTasks(c.store, 'warm')).filter(isServing).map((t) => probe(t.status?.ports?.http)));

  it('a rolling upgrade kills no old task until a new one passes its readiness check', async () => {
    let r = await apply(manifest('v1'));
    assert.equal(r.code, 0, r.err + r.out);
    let svc = (await getService(c.store, 'warm'))!;
    assert.deepEqual([svc.status?.healthy, svc.status?.ready], [N, N]);
    const first = (await serviceTasks(c.store, 'warm')).filter(isLive);
    assert.equal(first.length, N);
    for (const t of first) {
      assert.equal(t.status?.ready, true);
      // the app writes /ready 3 s after it starts
      assert.ok(Date.parse(t.status!.readyAt!) - Date.parse(t.status!.startedAt!) >= 2500, `${t.metadata.name} ready ${t.status?.readyAt}, started ${t.status?.startedAt}`);
    }
    const oldHash = first[0]!.spec.templateHash!;

    const s = sampler(c, oldHash);
    const t0 = Date.now();
    r = await apply(manifest('v2'));
    const samples = await s.stop();
    assert.equal(r.code, 0, r.err + r.out);
    assert.ok(samples.n > 20, `${samples.n} samples`);
    assert.deepEqual(samples.earlyKills, [], 'an old task went before a new one was ready');
    assert.ok(samples.minServing >= N, `serving tasks dropped to ${samples.minServing}`);
    assert.ok(samples.sawWindow, 'a new task was seen healthy but not yet ready while the old ones served');
    assert.ok(Date.now() - t0 >= 2 * 2500, 'two new tasks, one after the other, each ready 3 s after it started');

    svc = (await getService(c.store, 'warm'))!;
    assert.equal(svc.status?.deployment?.state, 'complete');
    assert.deepEqual([svc.status?.healthy, svc.status?.ready], [N, N]);
    assert.deepEqual(await bodies(), Array(N).fill('v2\n'), 'every instance serves the new version');
    const d = await stowctl(c.server.url, ['describe', 'service', 'warm']);
    assert.match(d.out, new RegExp(`Instances: +${N} desired, ${N} running, ${N} healthy, ${N} ready\\n`));
    assert.match(d.out, /Readiness Checks: +HTTP port=http path=\/ready interval=1s timeout=0.5s ready=200\n/);
    await until('the old tasks gone', async () => (await serviceTasks(c.store, 'warm')).length === N, 15_000);
    console.log(`# readiness rollout: min serving ${samples.minServing}, ${samples.n} samples, ${Date.now() - t0} ms`);
  });
});
