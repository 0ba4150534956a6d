/**
 * Three real Docker agents and a service with ["hostname", "UNIQUE"]: one
 * task per agent; a fourth instance stays Pending and the service says why
 * (task pendingReason, Unschedulable condition, describe).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { getService, isHealthy, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: uniq}
spec:
  instances: 3
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  constraints: [["hostname", "UNIQUE"]]
  killGracePeriodSeconds: 2
  healthChecks:
    - {protocol: HTTP, port: http, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
`;

describe('services e2e: hostname UNIQUE on three agents', () => {
  let c: Cluster;
  const nodes = ['a', 'b', 'c'].map((x) => testNodeName(`uniq-${x}`));

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes });
  });
  after(async () => {
    await c?.stop();
  });

  it('one task per agent', async () => {
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest });
    assert.equal(r.code, 0, r.err + r.out);
    const ts = (await serviceTasks(c.store, 'uniq')).filter(isHealthy);
    assert.equal(ts.length, 3);
    assert.deepEqual(ts.map((t) => t.status!.nodeName).sort(), [...nodes].sort());
  });

  it('a fourth instance stays Pending with its reason, shown on the service', async () => {
    const r = await stowctl(c.server.url, ['scale', 'service/uniq', '--instances', '4']);
    assert.equal(r.code, 0, r.err);
    const pending = await until('a pending task with a reason', async () => (await serviceTasks(c.store, 'uniq')).find((t) => t.status?.state === 'Pending' && t.status.pendingReason), 10_000);
    assert.match(pending.status!.pendingReason!, /^0\/3 nodes fit: 3 constraint hostname UNIQUE/);
    const svc = await until('the condition', async () => {
      const s = await getService(c.store, 'uniq');
      return s?.status?.conditions?.find((x) => x.type === 'Unschedulable') && s;
    }, 10_000);
    assert.match(svc.status!.conditions!.find((x) => x.type === 'Unschedulable')!.message!, /^1 task\(s\) pending: 0\/3 nodes fit: 3 constraint hostname UNIQUE/);
    assert.equal(svc.status?.deployment?.state, 'progressing');
    assert.equal(svc.status?.healthy, 3);
    await new Promise((res) => setTimeout(res, 1500));
    const ts = await serviceTasks(c.store, 'uniq');
    assert.equal(ts.length, 4, 'still exactly one pending, not created again and again');
    const d = await stowctl(c.server.url, ['describe', 'svc', 'uniq']);
    assert.match(d.out, /Unschedulable +True +TasksPending +1 task\(s\) pending: 0\/3 nodes fit/);
    assert.match(d.out, /\nPending:\n  uniq-[a-z0-9]{5}: 0\/3 nodes fit: 3 constraint hostname UNIQUE/);
  });
});
