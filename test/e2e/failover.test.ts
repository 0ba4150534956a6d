/**
 * Leader failover with work in flight (real etcd and Docker): two servers,
 * the leader is killed with -9, and the standby's loops carry on — a scale
 * applied through the survivor is carried out, and a container killed after
 * the failover is replaced.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dockerCli, ensureDocker, testNodeName } from '../helpers/docker.js';
import { isHealthy, serviceTasks, spawnServer, startCluster, stowctl, until, type Cluster, type ServerProc } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: steady}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["sleep", "600"]
  resources: {cpus: 0.1, mem: 16}
  killGracePeriodSeconds: 1
`;

describe('leader failover with a service running (real etcd and Docker)', () => {
  let c: Cluster;
  let standby: ServerProc;
  const node = testNodeName('failover');

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [node] });
    standby = await spawnServer(c.etcd.endpoint, [], [], { until: 'leader-known' });
  });
  after(async () => {
    await standby?.stop();
    await c?.stop();
  });

  it('the standby takes over within the lease TTL and its loops carry on', async () => {
    let r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest });
    assert.equal(r.code, 0, r.err + r.out);
    const ready = async () => (await fetch(`${standby.url}/readyz`).then((x) => x.json())) as { isLeader: boolean };
    const logs = () => `\n--- leader:\n${c.server.output.slice(-15).join('\n')}\n--- standby:\n${standby.output.slice(-15).join('\n')}`;
    assert.equal((await ready()).isLeader, false, `the second server stands by${logs()}`);

    await c.server.stop('SIGKILL');
    const t0 = Date.now();
    await until('the standby to lead', async () => (await ready()).isLeader, 10_000);
    assert.ok(Date.now() - t0 <= 3500, `took over in ${Date.now() - t0} ms (lease TTL 2 s)`);

    // a scale through the survivor is carried out by its loops
    r = await stowctl(standby.url, ['scale', 'service/steady', '--instances', '3']);
    assert.equal(r.code, 0, r.err);
    await until('3 healthy tasks', async () => (await serviceTasks(c.store, 'steady')).filter(isHealthy).length === 3, 30_000);

    // and a container killed now is replaced by the new leader
    const victim = dockerCli(['ps', '-q', '--filter', `label=stowage.node=${node}`]).trim().split('\n')[0]!;
    dockerCli(['kill', victim]);
    await until('a replacement, back to 3 healthy', async () => {
      const ts = (await serviceTasks(c.store, 'steady')).filter(isHealthy);
      return ts.length === 3 && ts.every((t) => !t.status?.containerId?.startsWith(victim));
    }, 30_000);
  });
});
