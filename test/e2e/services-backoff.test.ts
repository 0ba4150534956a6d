/**
 * A crash-looping service on a real Docker agent is relaunched with growing
 * delays as configured (backoffSeconds 1, backoffFactor 2, max 8 s: 1, 2,
 * 4, 8, 8 s from each exit to the next launch), and its status says until
 * when launches are delayed. Each failure keeps what the container wrote
 * last, and describe shows it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { getService, serviceTasks, sleep, startCluster, stowctl, type Cluster } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: crash}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "sleep 0.2; echo dying >&2; exit 3"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
  backoffSeconds: 1
  backoffFactor: 2
  maxLaunchDelaySeconds: 8
`;

describe('services e2e: launch backoff', () => {
  let c: Cluster;
  const node = testNodeName('crash');

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [node] });
  });
  after(async () => {
    await c?.stop();
  });

  it('relaunches a crash loop after 1, 2, 4, 8, 8 s', async () => {
    const r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: manifest });
    assert.equal(r.code, 0, r.err);
    const created = new Map<string, number>();
    let sawDelay: string | undefined;
    const end = Date.now() + 45_000;
    while (Date.now() < end) {
      for (const t of await serviceTasks(c.store, 'crash')) if (!created.has(t.metadata.name)) created.set(t.metadata.name, Date.parse(t.metadata.creationTimestamp!));
      const s = await getService(c.store, 'crash');
      sawDelay ??= s?.status?.delayedUntil;
      if ((s?.status?.lastFailures?.length ?? 0) >= 6) break;
      await sleep(50);
    }
    const s = (await getService(c.store, 'crash'))!;
    const fails = [...s.status!.lastFailures!].reverse(); // oldest first
    assert.ok(fails.length >= 6, `${fails.length} failures seen`);
    for (const f of fails) {
      assert.equal(f.exitCode, 3);
      assert.equal(f.state, 'Failed');
      assert.equal(f.output, 'dying', 'what the container wrote last is kept with its failure');
    }
    // from each exit to the launch of the next task
    const gaps = fails.slice(0, 5).map((f, i) => (created.get(fails[i + 1]!.task)! - Date.parse(f.at)) / 1000);
    console.log(`# delays: ${gaps.map((g) => g.toFixed(2)).join(', ')} s`);
    [1, 2, 4, 8, 8].forEach((want, i) => {
      assert.ok(gaps[i]! >= want - 0.05 && gaps[i]! <= want + 1.5, `delay ${i + 1}: ${gaps[i]} s, configured ${want} s`);
    });
    assert.ok(sawDelay, 'the status showed delayedUntil');
    assert.ok(s.status!.backoff!.failures >= 6);
    const d = await stowctl(c.server.url, ['describe', 'service', 'crash']);
    assert.match(d.out, /Launch Failures: +\d+ in a row/);
    assert.match(d.out, /Last Failures:\n.*\n.* Failed +3 /);
    assert.match(d.out, /\nLast Output of crash-[a-z0-9]{5}:\n  dying\n/);
  });
});
