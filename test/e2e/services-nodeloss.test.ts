/**
 * kill -9 of one of two Docker agents: once its heartbeat lapses its tasks
 * are Unreachable (not counted healthy); after the node-lost grace they are Lost and the services loop replaces
 * them; they run healthy on the other agent within grace + 5 s. When the
 * agent comes back, the containers of its replaced tasks are removed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containersOf } from '../helpers/agent.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { getService, isHealthy, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const GRACE_S = 3;
const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: survivor}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 1
  healthChecks:
    - {protocol: HTTP, port: http, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
`;

describe('services e2e: node loss', () => {
  let c: Cluster;
  const nodes = [testNodeName('loss-a'), testNodeName('loss-b')];

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes, serverArgs: ['--node-lost-grace', String(GRACE_S)] });
  });
  after(async () => {
    await c?.stop();
  });

  it(`kill -9 of an agent: its tasks run healthy on the other within grace + 5 s; back, its stale containers go`, async () => {
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest });
    assert.equal(r.code, 0, r.err + r.out);
    const before = (await serviceTasks(c.store, 'survivor')).filter(isHealthy);
    const doomed = before[0]!.status!.nodeName!;
    const other = nodes.find((n) => n !== doomed)!;
    const onDoomed = before.filter((t) => t.status!.nodeName === doomed).map((t) => t.metadata.name);
    const stale = await containersOf(doomed);
    assert.ok(stale.length >= 1);

    await c.agents.get(doomed)!.stop('SIGKILL');
    const t0 = Date.now();
    // while its node is NotReady, its tasks are Unreachable and the service does not count them
    await until('the dead node\'s tasks Unreachable, the service honest about it', async () => {
      const ts = await serviceTasks(c.store, 'survivor');
      const away = ts.filter((t) => t.status?.nodeName === doomed && t.status.state === 'Unreachable');
      const svc = await getService(c.store, 'survivor');
      return away.length === onDoomed.length && (svc?.status?.healthy ?? 2) <= 2 - onDoomed.length;
    }, (GRACE_S + 3) * 1000, 100);
    await until('2 healthy tasks, none on the dead node', async () => {
      const ts = (await serviceTasks(c.store, 'survivor')).filter(isHealthy);
      return ts.length === 2 && ts.every((t) => t.status!.nodeName === other);
    }, (GRACE_S + 5) * 1000 + 2000, 100);
    const took = Date.now() - t0;
    console.log(`# healthy on ${other} ${took} ms after kill -9 (grace ${GRACE_S} s, heartbeat TTL 2 s)`);
    assert.ok(took <= (GRACE_S + 5) * 1000, `${took} ms`);
    const svc = (await getService(c.store, 'survivor'))!;
    const lost = svc.status!.lastFailures!.filter((f) => f.state === 'Lost').map((f) => f.task).sort();
    assert.deepEqual(lost, onDoomed.sort());
    assert.equal(svc.status?.backoff?.failures, 0, `a lost node is not a crash loop: ${JSON.stringify(svc.status?.lastFailures)}`);
    // the containers kept running without their agent; its return removes them
    assert.deepEqual(await containersOf(doomed), stale);
    await c.startAgent(doomed);
    await until('the stale containers removed', async () => (await containersOf(doomed, true)).length === 0, 20_000, 200);
    assert.equal((await serviceTasks(c.store, 'survivor')).filter(isHealthy).length, 2);
  });
});
