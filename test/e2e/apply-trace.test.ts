/**
 * `stowctl apply --trace` end to end: a 3-instance Service on one Docker
 * agent on the agent API (`--server`). The timeline names every stage from
 * the apply to the container running, each mark taken by the process that
 * did the step, and the marks that follow one another causally (a step
 * cannot be seen before it was sent) are in that order in the task's
 * status.trace. Applying the same manifest again with --trace changes
 * nothing and follows nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRACE_ANNOTATION } from '../../pkg/api/trace.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { portRange, serviceTasks, startCluster, stowctl, type Cluster } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: traced}
spec:
  instances: 3
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 1
`;

/** Marks that happen one after the other by cause, whatever the clocks do within a process. */
const CAUSAL = [
  ['cli.sent', 'api.received', 'api.committed'],
  ['services.seen', 'services.began', 'services.computed', 'services.create', 'scheduler.seen', 'scheduler.began', 'scheduler.computed', 'scheduler.bind', 'server.assignment', 'agent.received', 'agent.start', 'agent.slot', 'agent.create', 'agent.created', 'agent.started'],
];

describe('stowctl apply --trace', () => {
  let c: Cluster;
  let dir: string;
  const node = testNodeName('trace');

  before(async () => {
    ensureDocker();
    dir = mkdtempSync(join(tmpdir(), 'stowage-trace-'));
    c = await startCluster({ nodes: [] });
    c.agentArgs.set(node, ['--server', c.server.url, '--node', node, '--cpus', '2', '--mem', '1024', '--disk', '100', '--heartbeat-ttl', '2', '--ports', portRange(5)]);
    await c.startAgent(node);
  });
  after(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the timeline of the first task, from the apply to docker start, with marks from each component', async () => {
    const f = join(dir, 'traced.yaml');
    writeFileSync(f, manifest);
    const r = await stowctl(c.server.url, ['apply', '-f', f, '--trace', '--timeout', '60s']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^service\/traced created\n/);
    const id = /\ntrace ([0-9a-f]{12}): task default\/traced-\w+ on node (\S+)\n/.exec(r.out);
    assert.ok(id, r.out);
    assert.equal(id[2], node);
    for (const what of ['apply received', 'apply validated and written', 'Service change seen', 'reconcile began', 'task creation sent', 'Pending task seen', 'scheduling cycle began', 'binding transaction sent', 'assignment seen by the agent API', 'assignment received', 'start slot taken', 'docker create sent', 'docker create returned', 'docker start returned', 'Running seen by stowctl']) {
      assert.ok(r.out.includes(what), `the timeline shows "${what}":\n${r.out}`);
    }
    assert.match(r.out, /apply -> container created \d+\.\d ms, -> running \d+\.\d ms\n/);
    assert.match(r.out, /3 of 3 traced task\(s\) running: the first container at \d+\.\d ms, the last at \d+\.\d ms/);

    // what the timeline was made of: marks in each task's status, in causal order
    const tasks = await serviceTasks(c.store, 'traced');
    assert.equal(tasks.length, 3);
    for (const t of tasks) {
      assert.equal(t.metadata.annotations?.[TRACE_ANNOTATION], id[1]);
      const m = t.status?.trace ?? {};
      for (const chain of CAUSAL.slice(1)) {
        for (let i = 1; i < chain.length; i++) {
          const [a, b] = [chain[i - 1]!, chain[i]!];
          assert.ok(m[a] !== undefined && m[b] !== undefined, `${t.metadata.name} has marks ${a} and ${b}: ${JSON.stringify(m)}`);
          assert.ok(m[a]! <= m[b]!, `${t.metadata.name}: ${a} (${m[a]}) before ${b} (${m[b]})`);
        }
      }
    }
  });

  it('applying the same manifest again with --trace writes nothing and follows nothing', async () => {
    const r = await stowctl(c.server.url, ['apply', '-f', join(dir, 'traced.yaml'), '--trace', '--timeout', '10s']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^service\/traced unchanged\n/);
    assert.match(r.out, /no Service was created or changed by this apply; nothing to follow/);
  });
});
