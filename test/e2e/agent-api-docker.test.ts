/**
 * A Docker agent on the servers' agent API (`stowage agent --server`, no
 * etcd address): a one-instance Service reaches Running and healthy, serves,
 * and its log comes through the server's proxy (the agent's log route wants
 * the server's secret).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { isHealthy, portRange, probe, serviceTasks, startCluster, until, type Cluster } from '../helpers/stowage.js';

describe('a docker agent on the agent API', () => {
  let c: Cluster;
  const node = testNodeName('apiag');

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [] });
    c.agentArgs.set(node, ['--server', c.server.url, '--node', node, '--cpus', '2', '--mem', '1024', '--disk', '100', '--heartbeat-ttl', '2', '--ports', portRange(7)]);
    await c.startAgent(node);
  });
  after(() => c?.stop());

  it('runs a service to Running and healthy, and its log comes through the server', async () => {
    const svc = {
      apiVersion: 'stowage/v1',
      kind: 'Service',
      metadata: { name: 'apiweb', namespace: 'default' },
      spec: {
        instances: 1,
        image: 'localhost/stowage-busybox:1',
        command: ['/bin/sh', '-c', 'echo started-apiweb; exec httpd -f -p $PORT0 -h /www'],
        resources: { cpus: 0.1, mem: 32, disk: 0 },
        ports: [{ name: 'http' }],
        killGracePeriodSeconds: 1,
        healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2 }],
      },
    };
    const r = await fetch(`${c.server.url}/api/v1/services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(svc) });
    assert.equal(r.status, 201, await r.text());
    const t = await until('the instance Running and healthy', async () => (await serviceTasks(c.store, 'apiweb')).find((x) => x.status?.state === 'Running' && isHealthy(x)), 60_000, 200);
    assert.equal(t.status?.nodeName, node);
    assert.equal(await probe(t.status?.ports?.http), 'ok\n');
    const log = await until('the log through the server', async () => {
      const res = await fetch(`${c.server.url}/api/v1/tasks/default/${t.metadata.name}/log`);
      const text = await res.text();
      return res.status === 200 && text.includes('started-apiweb') && text;
    }, 10_000, 200);
    assert.match(log, /started-apiweb/);
  });
});
