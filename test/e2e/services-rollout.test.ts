/**
 * Rolling upgrades on real Docker agents, sampled every 100 ms from etcd:
 * healthy tasks never drop below minimumHealthCapacity x instances and
 * tasks that have not ended never exceed (1 + maximumOverCapacity) x
 * instances. Then a template whose health check never passes: the
 * deployment fails at its deadline, `rollout status` says so and exits 1,
 * the old tasks keep serving, and `rollout undo` restores the previous
 * template. `rollout restart` replaces every task within the same bounds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from '../../pkg/api/types.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { getService, isHealthy, isLive, probe, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';
import { sampleEvery } from '../helpers/wait.js';

const N = 4;
const manifest = (o: { greeting: string; minHC: number; maxOC: number; path?: string; deadline?: number }) => `apiVersion: stowage/v1
kind: Service
metadata: {name: roll}
spec:
  instances: ${N}
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo ${o.greeting} > /tmp/index.html && exec httpd -f -p $PORT0 -h /tmp"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 2
  progressDeadlineSeconds: ${o.deadline ?? 120}
  upgradeStrategy: {minimumHealthCapacity: ${o.minHC}, maximumOverCapacity: ${o.maxOC}}
  healthChecks:
    - {protocol: HTTP, port: http, path: ${o.path ?? '/'}, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
`;

interface Samples {
  minHealthy: number;
  maxLive: number;
  n: number;
}

/** Sample the service's tasks every 100 ms until stop() is called. */
function sampler(c: Cluster): { stop: () => Promise<Samples> } {
  const s: Samples = { minHealthy: Infinity, maxLive: 0, n: 0 };
  const sampling = sampleEvery(100, async () => {
    const ts: Task[] = await serviceTasks(c.store, 'roll');
    s.minHealthy = Math.min(s.minHealthy, ts.filter(isHealthy).length);
    s.maxLive = Math.max(s.maxLive, ts.filter(isLive).length);
    s.n++;
  });
  return { stop: () => sampling.stop().then(() => s) };
}

describe('services e2e: rolling upgrades', () => {
  let c: Cluster;
  const nodes = [testNodeName('roll-a'), testNodeName('roll-b')];

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes });
  });
  after(async () => {
    await c?.stop();
  });

  const apply = (m: string, wait = true) => stowctl(c.server.url, ['apply', '-f', '-', ...(wait ? ['--wait', '--timeout', '90s'] : [])], { stdin: m });
  const bodies = async () => Promise.all((await serviceTasks(c.store, 'roll')).filter(isHealthy).map((t) => probe(t.status?.ports?.http)));

  const strategies: [number, number][] = [[1, 0.5], [0.5, 0], [0.75, 0.25]];
  strategies.forEach(([minHC, maxOC], i) => {
    it(`changing the command rolls over within (${minHC}, ${maxOC}): healthy >= ${Math.ceil(minHC * N)}, tasks <= ${Math.floor((1 + maxOC) * N)}`, async () => {
      // settle on the strategy first (a strategy change alone starts no rollout)
      let r = await apply(manifest({ greeting: `v${i}`, minHC, maxOC }));
      assert.equal(r.code, 0, r.err + r.out);
      assert.deepEqual(await bodies(), Array(N).fill(`v${i}\n`));
      // the previous rollout's killed tasks may still be stopping: start from N tasks exactly
      await until('only the N current tasks left', async () => (await serviceTasks(c.store, 'roll')).filter(isLive).length === N, 15_000);
      const s = sampler(c);
      r = await apply(manifest({ greeting: `v${i + 1}`, minHC, maxOC }));
      const samples = await s.stop();
      assert.equal(r.code, 0, r.err + r.out);
      assert.ok(samples.n > 10, `${samples.n} samples`);
      assert.ok(samples.minHealthy >= Math.ceil(minHC * N), `healthy dropped to ${samples.minHealthy}`);
      assert.ok(samples.maxLive <= Math.floor((1 + maxOC) * N), `${samples.maxLive} tasks at once`);
      assert.deepEqual(await bodies(), Array(N).fill(`v${i + 1}\n`), 'every instance serves the new version');
      console.log(`# (${minHC}, ${maxOC}): min healthy ${samples.minHealthy}, max tasks ${samples.maxLive}, ${samples.n} samples`);
    });
  });

  it('rollout restart replaces every task within (1, 0.5), same revision, then rollout status succeeds', async () => {
    let r = await apply(manifest({ greeting: 'same', minHC: 1, maxOC: 0.5 }));
    assert.equal(r.code, 0, r.err + r.out);
    await until('only the N current tasks left', async () => (await serviceTasks(c.store, 'roll')).filter(isLive).length === N, 15_000);
    const before = new Set((await serviceTasks(c.store, 'roll')).filter(isLive).map((t) => t.metadata.name));
    const rev = (await getService(c.store, 'roll'))!.status!.deployment!.revision;
    const s = sampler(c);
    r = await stowctl(c.server.url, ['rollout', 'restart', 'service/roll']);
    assert.equal(r.code, 0, r.err);
    const st = await stowctl(c.server.url, ['rollout', 'status', 'service/roll', '--timeout', '60s']);
    const samples = await s.stop();
    assert.equal(st.code, 0, st.err + st.out);
    const now = (await serviceTasks(c.store, 'roll')).filter(isHealthy);
    assert.equal(now.length, N);
    assert.ok(now.every((t) => !before.has(t.metadata.name)), 'every task is new');
    assert.ok(samples.minHealthy >= N, `healthy dropped to ${samples.minHealthy}`);
    assert.ok(samples.maxLive <= Math.floor(1.5 * N), `${samples.maxLive} tasks at once`);
    const svc = (await getService(c.store, 'roll'))!;
    assert.equal(svc.status?.deployment?.revision, rev, 'no new revision');
    assert.deepEqual(await bodies(), Array(N).fill('same\n'));
    console.log(`# restart: min healthy ${samples.minHealthy}, max tasks ${samples.maxLive}, ${samples.n} samples`);
  });

  it('a health check that never passes: failed at the deadline, old tasks keep serving, rollout undo restores them', async () => {
    let r = await apply(manifest({ greeting: 'good', minHC: 1, maxOC: 0.5 }));
    assert.equal(r.code, 0, r.err + r.out);
    const goodRev = (await getService(c.store, 'roll'))!.status!.deployment!.revision;
    const t0 = Date.now();
    r = await apply(manifest({ greeting: 'bad', minHC: 1, maxOC: 0.5, path: '/no-such-page', deadline: 12 }), false);
    assert.equal(r.code, 0, r.err);
    const st = await stowctl(c.server.url, ['rollout', 'status', 'service/roll', '--timeout', '60s']);
    const took = Date.now() - t0;
    assert.equal(st.code, 1, st.out);
    assert.match(st.err, /^error: rollout of service\/roll failed: no progress for 12s \(progressDeadlineSeconds\): 0\/4 tasks of revision \d+ ready, 4 old left/);
    assert.match(st.err, /Progressing=False \(ProgressDeadlineExceeded/);
    assert.ok(took >= 11_000 && took < 25_000, `failed ${took} ms after apply`);
    const svc = (await getService(c.store, 'roll'))!;
    assert.equal(svc.status?.deployment?.state, 'failed');
    assert.equal(svc.status?.healthy, 4);
    assert.deepEqual(await bodies(), Array(4).fill('good\n'), 'the old tasks keep serving');

    const u = await stowctl(c.server.url, ['rollout', 'undo', 'service/roll']);
    assert.equal(u.code, 0, u.err);
    assert.equal(u.out, `service/roll rolled back to revision ${goodRev}\n`);
    const done = await stowctl(c.server.url, ['rollout', 'status', 'service/roll', '--timeout', '30s']);
    assert.equal(done.code, 0, done.err + done.out);
    const after = (await getService(c.store, 'roll'))!;
    assert.equal(after.status?.deployment?.state, 'complete');
    assert.equal(after.spec.healthChecks?.[0]?.path, '/');
    await until('only the good tasks left', async () => (await serviceTasks(c.store, 'roll')).length === 4, 10_000);
    assert.deepEqual(await bodies(), Array(4).fill('good\n'));
    const d = await stowctl(c.server.url, ['describe', 'service', 'roll']);
    assert.match(d.out, /DeploymentFailed/);
  });
});
