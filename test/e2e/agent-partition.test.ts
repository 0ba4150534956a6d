/**
 * An agent alive but cut off from the servers, and one paused (SIGSTOP):
 * its tasks are replaced on the other node once the node-lost grace runs
 * out, and it stops its own containers by its deadline (its last answered
 * heartbeat + TTL + that grace), so a task and its replacement overlap no
 * longer than the kill grace. When it is back its replaced containers go
 * within seconds and its node is Ready again.
 *
 *   agent A ──► blockable TCP proxy ──► server (--node-lost-grace 3) ◄── agent B
 *
 * Both agents on the agent API (--server), heartbeat TTL 2 s, on the shared
 * engine (nodes named by testNodeName, containers removed by label); last,
 * agent A again on --etcd through a blockable proxy to etcd.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Task } from '../../pkg/api/types.js';
import { containersOf, NODE } from '../helpers/agent.js';
import { dockerInspect, ensureDocker, testNodeName } from '../helpers/docker.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';
import { isHealthy, portRange, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const GRACE_S = 3;
const TTL_S = 2;
const KILL_GRACE_S = 1;
const service = (name: string) => `apiVersion: stowage/v1
kind: Service
metadata: {name: ${name}}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: ${KILL_GRACE_S}
  healthChecks:
    - {protocol: HTTP, port: http, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
`;

describe('a partitioned agent stops what the servers gave away', () => {
  let c: Cluster;
  let proxy: Proxy;
  let etcdProxy: Proxy | undefined;
  const a = testNodeName('part-a');
  const b = testNodeName('part-b');
  const flags = (node: string, slot: number) => ['--node', node, '--cpus', '2', '--mem', '1024', '--disk', '100', '--heartbeat-ttl', String(TTL_S), '--ports', portRange(slot)];

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [], serverArgs: ['--node-lost-grace', String(GRACE_S)] });
    proxy = await startProxy(Number(new URL(c.server.url).port));
    c.agentArgs.set(a, ['--server', `http://127.0.0.1:${proxy.port}`, ...flags(a, 5)]);
    c.agentArgs.set(b, ['--server', c.server.url, ...flags(b, 6)]);
    await c.startAgent(a);
    await c.startAgent(b);
  });
  after(async () => {
    const pa = c?.agents.get(a);
    if (pa) process.kill(pa.pid, 'SIGCONT');
    await c?.stop();
    await proxy?.close();
    await etcdProxy?.close();
  });

  /** Apply a 2-instance service with B cordoned, so both instances run on A. */
  const onA = async (name: string): Promise<Task[]> => {
    assert.equal((await stowctl(c.server.url, ['cordon', b])).code, 0);
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: service(name) });
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal((await stowctl(c.server.url, ['uncordon', b])).code, 0);
    const ts = (await serviceTasks(c.store, name)).filter(isHealthy);
    assert.deepEqual(ts.map((t) => t.status!.nodeName), [a, a]);
    return ts;
  };
  const stoppedBy = async (old: Task[], fresh: Task[], what: string) => {
    const stopped = await until('the old containers stopped by the cut-off agent', async () => {
      const infos = await Promise.all(old.map((t) => dockerInspect(t.status!.containerId!)));
      return infos.every((i) => !i.State.Running) ? infos : undefined;
    }, 20_000, 100);
    const firstStart = Math.min(...(await Promise.all(fresh.map(async (t) => Date.parse((await dockerInspect(t.status!.containerId!)).State.StartedAt)))));
    for (const s of stopped) {
      const overlap = (Date.parse(s.State.FinishedAt) - firstStart) / 1000;
      console.log(`# ${what}: ${s.Id.slice(0, 12)} stopped ${overlap.toFixed(2)} s after its first replacement started (kill grace ${KILL_GRACE_S} s)`);
      assert.ok(overlap <= KILL_GRACE_S + 1, `overlap ${overlap} s`);
    }
  };
  const replacedOnB = (name: string, old: Task[]) =>
    until(`2 healthy ${name} tasks on ${b}`, async () => {
      const ts = (await serviceTasks(c.store, name)).filter(isHealthy);
      return ts.length === 2 && ts.every((t) => t.status!.nodeName === b && !old.some((o) => o.metadata.uid === t.metadata.uid)) ? ts : undefined;
    }, (TTL_S + GRACE_S) * 1000 + 30_000, 100);
  const nodeState = async (n: string) => (await c.store.get<Node>(NODE, undefined, n))?.object.status?.state;

  it('cut off through a proxy: its containers stop by its deadline, within the kill grace of their replacements; unblocked, they go', async () => {
    const old = await onA('cutoff');
    proxy.cut();
    const t0 = Date.now();
    const fresh = await replacedOnB('cutoff', old);
    console.log(`# cut off: replaced on ${b} ${Date.now() - t0} ms after the cut (TTL ${TTL_S} s, grace ${GRACE_S} s)`);
    await stoppedBy(old, fresh, 'cut off');
    assert.ok(c.agents.get(a)!.output.some((l) => l.includes('cut off from the cluster past the deadline')));

    proxy.restore();
    const t1 = Date.now();
    await until('the replaced containers removed from A', async () => (await containersOf(a, true)).length === 0, 15_000, 100);
    console.log(`# back: stale containers removed ${Date.now() - t1} ms after the unblock`);
    await until(`${a} Ready again`, async () => (await nodeState(a)) === 'Ready', 15_000, 100);
    assert.equal((await serviceTasks(c.store, 'cutoff')).filter(isHealthy).length, 2);
  });

  it('paused (SIGSTOP) past the grace, resumed: its replaced containers go within seconds', async () => {
    const old = await onA('paused');
    const pa = c.agents.get(a)!;
    const mark = pa.output.length;
    process.kill(pa.pid, 'SIGSTOP');
    try {
      await replacedOnB('paused', old);
      // still running beside their replacements: nobody stopped them
      assert.equal((await containersOf(a)).length, 2);
    } finally {
      process.kill(pa.pid, 'SIGCONT');
    }
    const t1 = Date.now();
    await until('the replaced containers removed from A', async () => (await containersOf(a, true)).length === 0, 15_000, 100);
    console.log(`# SIGCONT: stale containers removed ${Date.now() - t1} ms after`);
    // the old deadline is acted on before the heartbeat that landed moves it
    const lines = pa.output.slice(mark);
    const cut = lines.findIndex((l) => l.includes('cut off from the cluster past the deadline'));
    const landed = lines.findIndex((l) => l.includes('heartbeat landed again'));
    assert.ok(cut >= 0 && (landed < 0 || cut < landed), lines.slice(0, 20).join('\n'));
    await until(`${a} Ready again`, async () => (await nodeState(a)) === 'Ready', 15_000, 100);
  });

  it('on --etcd, its etcd endpoint blocked (--stop-after-disconnect = the grace): the same', async () => {
    etcdProxy = await startProxy(Number(new URL(c.etcd.endpoint).port));
    await c.agents.get(a)!.stop('SIGTERM');
    c.agentArgs.set(a, ['--etcd', `http://127.0.0.1:${etcdProxy.port}`, '--stop-after-disconnect', String(GRACE_S), ...flags(a, 5)]);
    await c.startAgent(a);
    const old = await onA('etcdcut');
    etcdProxy.cut();
    const fresh = await replacedOnB('etcdcut', old);
    await stoppedBy(old, fresh, 'etcd cut off');
    etcdProxy.restore();
    const t1 = Date.now();
    await until('the replaced containers removed from A', async () => (await containersOf(a, true)).length === 0, 20_000, 100);
    console.log(`# etcd back: stale containers removed ${Date.now() - t1} ms after the unblock`);
    await until(`${a} Ready again`, async () => (await nodeState(a)) === 'Ready', 20_000, 100);
  });
});
