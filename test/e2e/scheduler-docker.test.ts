/**
 * The scheduler with real Docker agents, on tasks written directly: rack
 * attributes set from a Node YAML, ["rack", "UNIQUE"] puts one container on
 * each agent and the fourth task waits with its reason; then drain moves a
 * service's tasks off a node.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dockerCli, ensureDocker, testNodeName } from '../helpers/docker.js';
import { isHealthy, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const racks = ['a', 'b', 'c'];
const task = (i: number) => `---
apiVersion: stowage/v1
kind: Task
metadata: {name: rack-${i}, labels: {stowage/owner: service/racked}}
spec:
  owner: service/racked
  image: localhost/stowage-busybox:1
  command: ["sleep", "600"]
  resources: {cpus: 0.1, mem: 16}
  killGracePeriodSeconds: 1
  constraints: [["rack", "UNIQUE"]]
`;

describe('scheduler e2e (real etcd and Docker)', () => {
  let c: Cluster;
  const nodes = racks.map((r) => testNodeName(`rack-${r}`));
  const running = (node: string) => dockerCli(['ps', '-q', '--filter', `label=stowage.node=${node}`]).trim().split('\n').filter(Boolean).length;

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes });
    await until('three Ready nodes', async () => {
      const r = await stowctl(c.server.url, ['get', 'nodes', '-o', 'json']);
      const items = JSON.parse(r.out || '{"items":[]}').items as { status?: { state?: string } }[];
      return items.filter((n) => n.status?.state === 'Ready').length === 3;
    }, 20_000);
  });
  after(async () => {
    await c?.stop();
  });

  it('UNIQUE by rack: one container per agent, the fourth task pending with its reason', async () => {
    const nodeYaml = nodes.map((n, i) => `---\napiVersion: stowage/v1\nkind: Node\nmetadata: {name: ${n}}\nspec: {attributes: {rack: ${racks[i]}}}\n`).join('');
    let r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: nodeYaml });
    assert.equal(r.code, 0, r.err);
    r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: [0, 1, 2, 3].map(task).join('') });
    assert.equal(r.code, 0, r.err);
    await until('a container on each agent', async () => nodes.every((n) => running(n) === 1), 20_000);
    const d = await until('the fourth task to say why it waits', async () => {
      for (const i of [0, 1, 2, 3]) {
        const x = await stowctl(c.server.url, ['describe', 'task', `rack-${i}`]);
        if (/Pending Reason:\s+0\/3 nodes fit: 3 constraint rack UNIQUE/.test(x.out)) return x.out;
      }
      return undefined;
    }, 10_000);
    assert.match(d, /State:\s+Pending/);
    await new Promise((res) => setTimeout(res, 1000));
    assert.deepEqual(nodes.map(running), [1, 1, 1], 'still one per agent');
    // the hand-written tasks go before the drain below
    r = await stowctl(c.server.url, ['delete', 'task', 'rack-0', 'rack-1', 'rack-2', 'rack-3']);
    assert.equal(r.code, 0, r.err);
    await until('their containers to go', async () => nodes.every((n) => running(n) === 0), 20_000);
  });

  it('drain cordons a node and its service tasks come back elsewhere', async () => {
    const svc = `apiVersion: stowage/v1
kind: Service
metadata: {name: movable}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["sleep", "600"]
  resources: {cpus: 0.1, mem: 16}
  killGracePeriodSeconds: 1
`;
    let r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: svc });
    assert.equal(r.code, 0, r.err + r.out);
    const before = (await serviceTasks(c.store, 'movable')).filter(isHealthy);
    const victim = before[0]!.status!.nodeName!;
    r = await stowctl(c.server.url, ['drain', victim]);
    assert.equal(r.code, 0, r.err);
    const after = await until('two healthy tasks off the drained node', async () => {
      const ts = (await serviceTasks(c.store, 'movable')).filter(isHealthy);
      return ts.length === 2 && ts.every((t) => t.status!.nodeName !== victim) && ts;
    }, 30_000);
    assert.equal(after.length, 2);
    await until('no container left on the drained node', async () => running(victim) === 0, 20_000);
    r = await stowctl(c.server.url, ['get', 'node', victim, '-o', 'json']);
    assert.equal(JSON.parse(r.out).spec.unschedulable, true, 'the node stays cordoned');
    r = await stowctl(c.server.url, ['uncordon', victim]);
    assert.equal(r.code, 0, r.err);
  });
});
