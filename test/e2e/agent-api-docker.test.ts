/**
 * A Docker agent on the servers' agent API, as the security acceptance runs
 * it: `stowage server --tokens F` and `stowage agent --server URL
 * --token-file T` with a token of role node (no etcd address). A
 * one-instance Service whose env takes a Secret reaches Running and healthy
 * and serves the secret's value (the agent got it from the server's
 * secret-env route), and its log comes through the server's proxy (the
 * agent's log route wants the server's secret).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { isHealthy, portRange, probe, serviceTasks, startCluster, until, type Cluster } from '../helpers/stowage.js';
import { rememberSecrets } from '../helpers/suite-scan.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('a docker agent on the agent API, with tokens', () => {
  let c: Cluster;
  let dir: string;
  const node = testNodeName('apiag');
  const admin = randomBytes(16).toString('hex');
  const nodeToken = randomBytes(16).toString('hex');
  const value = `v-${randomBytes(8).toString('hex')}`;
  rememberSecrets(admin, nodeToken, value);
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${c.server.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });

  before(async () => {
    ensureDocker();
    dir = mkdtempSync(join(tmpdir(), 'stowage-apiag-'));
    writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n  - {user: alice, role: admin, sha256: ${sha(admin)}}\n  - {user: ${node}, role: node, sha256: ${sha(nodeToken)}}\n`);
    writeFileSync(join(dir, 'node.token'), nodeToken);
    c = await startCluster({ nodes: [], serverArgs: ['--tokens', join(dir, 'tokens.yaml')] });
    c.agentArgs.set(node, ['--server', c.server.url, '--token-file', join(dir, 'node.token'), '--node', node, '--cpus', '2', '--mem', '1024', '--disk', '100', '--heartbeat-ttl', '2', '--ports', portRange(7)]);
    await c.startAgent(node);
  });
  after(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a service with a secret in its env to Running and healthy; its log comes through the server', async () => {
    const secret = { apiVersion: 'stowage/v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, data: { password: value } };
    const s = await call('POST', '/api/v1/secrets', secret);
    assert.equal(s.status, 201, await s.text());
    const svc = {
      apiVersion: 'stowage/v1',
      kind: 'Service',
      metadata: { name: 'apiweb', namespace: 'default' },
      spec: {
        instances: 1,
        image: 'localhost/stowage-busybox:1',
        command: ['/bin/sh', '-c', 'echo started-apiweb; mkdir -p /tmp/w && echo $PASSWORD > /tmp/w/index.html && exec httpd -f -p $PORT0 -h /tmp/w'],
        env: { PASSWORD: { secret: 'db', key: 'password' } },
        resources: { cpus: 0.1, mem: 32, disk: 0 },
        ports: [{ name: 'http' }],
        killGracePeriodSeconds: 1,
        healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2 }],
      },
    };
    const r = await call('POST', '/api/v1/services', svc);
    assert.equal(r.status, 201, await r.text());
    const t = await until('the instance Running and healthy', async () => (await serviceTasks(c.store, 'apiweb')).find((x) => x.status?.state === 'Running' && isHealthy(x)), 60_000, 200);
    assert.equal(t.status?.nodeName, node);
    assert.equal(await probe(t.status?.ports?.http), `${value}\n`);
    const log = await until('the log through the server', async () => {
      const res = await call('GET', `/api/v1/tasks/default/${t.metadata.name}/log`);
      const text = await res.text();
      return res.status === 200 && text.includes('started-apiweb') && text;
    }, 10_000, 200);
    assert.match(log, /started-apiweb/);
    const agentLog = c.agents.get(node)!.output.join('\n');
    assert.ok(!agentLog.includes(value) && !agentLog.includes(nodeToken), 'the agent logs neither the secret nor its token');
  });
});
