/**
 * `stowctl logs` end to end: through the server's proxy to the agent that
 * runs the task, on a real Docker engine — the whole output, --tail, and -f
 * following a task that keeps writing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { ROOT } from '../helpers/agent.js';
import { isHealthy, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: talker}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo hello from $STOWAGE_TASK; i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.3; done"]
  resources: {cpus: 0.1, mem: 16}
  killGracePeriodSeconds: 1
`;

describe('stowctl logs (real etcd and Docker)', () => {
  let c: Cluster;
  let task: string;

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [testNodeName('logs')] });
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest });
    assert.equal(r.code, 0, r.err + r.out);
    task = (await serviceTasks(c.store, 'talker')).filter(isHealthy)[0]!.metadata.name;
  });
  after(async () => {
    await c?.stop();
  });

  it('prints the task\'s output, and only the last lines with --tail', async () => {
    const all = await until('a few ticks', async () => {
      const r = await stowctl(c.server.url, ['logs', task]);
      return r.code === 0 && r.out.includes('tick3') ? r.out : undefined;
    }, 15_000);
    assert.match(all, new RegExp(`^hello from ${task}\\ntick1\\ntick2\\ntick3\\n`));
    const tail = await stowctl(c.server.url, ['logs', task, '--tail', '1']);
    assert.equal(tail.code, 0, tail.err);
    assert.match(tail.out, /^tick\d+\n$/);
  });

  it('-f follows while the task writes', async () => {
    const bin = process.env.STOWCTL_BIN ?? resolve(ROOT, 'bin/stowctl');
    const p = spawn(bin, ['logs', task, '-f', '--tail', '0'], { env: { ...process.env, STOWAGE_SERVER: c.server.url } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    try {
      await until('two new ticks on the followed stream', async () => (out.match(/tick\d+/g)?.length ?? 0) >= 2, 10_000);
    } finally {
      p.kill('SIGTERM');
    }
    assert.doesNotMatch(out, /hello from/, '--tail 0 starts from now');
  });

  it('a task that does not exist is an error naming it', async () => {
    const r = await stowctl(c.server.url, ['logs', 'nope']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /no task or jobrun "nope" in namespace "default"/);
  });
});
