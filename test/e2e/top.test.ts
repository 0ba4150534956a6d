/**
 * `stowctl top` end to end on a real Docker engine: the agent samples each
 * container's stats (every 2 s here) and reports them on its Node; a
 * busy-loop task (cpus 0.5) shows clearly more cpu than an idle one, and
 * `top nodes` shows the node's usage beside allocated and capacity.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: busy}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "while :; do :; done"]
  resources: {cpus: 0.5, mem: 16}
  killGracePeriodSeconds: 0
---
apiVersion: stowage/v1
kind: Service
metadata: {name: idle}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec sleep 3600"]
  resources: {cpus: 0.1, mem: 16}
  killGracePeriodSeconds: 0
`;

/** "500m" -> 0.5; undefined for <unknown>. */
const cores = (s: string | undefined) => (s && /^\d+m$/.test(s) ? Number(s.slice(0, -1)) / 1000 : undefined);

describe('stowctl top (real etcd and Docker)', () => {
  let c: Cluster;
  let node: string;

  before(async () => {
    ensureDocker();
    node = testNodeName('top');
    c = await startCluster({ nodes: [node], agentArgs: ['--usage-interval', '2'] });
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest });
    assert.equal(r.code, 0, r.err + r.out);
  });
  after(async () => {
    await c?.stop();
  });

  it('top tasks shows the busy-loop task using clearly more cpu than the idle one', async (t) => {
    let last = '';
    const seen = await until(
      'busy >= 0.15 cores and idle <= 0.05 in top tasks',
      async () => {
        const r = await stowctl(c.server.url, ['top', 'tasks']);
        if (r.code !== 0) return undefined;
        last = r.out;
        const rows = new Map(r.out.trim().split('\n').slice(1).map((l) => l.split(/ +/)).map((f) => [f[0]!.replace(/-[^-]+$/, ''), f]));
        const busy = cores(rows.get('busy')?.[2]);
        const idle = cores(rows.get('idle')?.[2]);
        return busy !== undefined && idle !== undefined && busy >= 0.15 && idle <= 0.05 ? { busy, idle, rows } : undefined;
      },
      30_000,
    ).catch((e: Error) => assert.fail(`${e.message}; last output:\n${last}`));
    t.diagnostic(`$ stowctl top tasks\n${last}`);
    assert.ok(seen.busy > seen.idle + 0.1, `busy ${seen.busy} vs idle ${seen.idle}`);
    assert.equal(seen.rows.get('busy')![1], node);
    assert.match(seen.rows.get('idle')![3]!, /^\d+Mi$/);
    const sel = await stowctl(c.server.url, ['top', 'tasks', '-l', 'stowage/owner=service/idle']);
    assert.equal(sel.code, 0, sel.err);
    assert.doesNotMatch(sel.out, /\nbusy-/);
    assert.match(sel.out, /\nidle-/);
  });

  it('top nodes shows the node using cpu beside allocated and capacity', async (t) => {
    const r = await stowctl(c.server.url, ['top', 'nodes']);
    t.diagnostic(`$ stowctl top nodes\n${r.out}`);
    assert.equal(r.code, 0, r.err);
    const row = r.out.split('\n').find((l) => l.startsWith(`${node} `));
    assert.ok(row, r.out);
    const [, state, cpu, mem] = row.split(/ +/);
    assert.equal(state, 'Ready');
    const [used, alloc, cap] = cpu!.split('/').map(Number);
    assert.ok(used! >= 0.15, `node cpu used ${used} (${row})`);
    assert.equal(alloc, 0.6);
    assert.equal(cap, 4);
    assert.match(mem!, /^\d+\/32\/4096Mi$/);
  });

  it('a bad flag exits non-zero naming it', async () => {
    const r = await stowctl(c.server.url, ['top', 'nodes', '--nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /--nope/);
  });
});
