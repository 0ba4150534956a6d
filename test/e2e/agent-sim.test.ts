/**
 * Hollow nodes (`--driver sim --nodes N`) against real etcd: one process
 * registers many nodes on one lease, runs thousands of tasks through the
 * same sync loop, and finds its way back after losing etcd for longer than
 * its lease. Also: a bad flag exits 2 naming the flag.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Etcd3, IWatchResponse } from 'etcd3';
import type { Node, NodeStatus } from '../../pkg/api/types.js';
import { forEachLimit } from '../../pkg/util/limiter.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { HEARTBEAT_PREFIX, heartbeatKey, statusKey } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { createAndBind, NODE, TASK, newTask, ROOT, spawnAgent, waitForTask, type AgentProc } from '../helpers/agent.js';
import { waitFor } from '../helpers/docker.js';
import { stowageCommand } from '../helpers/commands.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';

/** States a sim task reports once it has started (a short one may be seen first exited). */
const STARTED = new Set(['Running', 'Succeeded', 'Failed']);

const nodeNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);

describe('agent flags', () => {
  it('exits 2 naming a bad flag', () => {
    const cmd = [...stowageCommand(), 'agent'];
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), '--etcd', 'http://127.0.0.1:1', '--node', 'x', '--ports', '31000-'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'error: --ports: "31000-" is not a range like 31000-31999');
  });
});

describe('hollow nodes', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let agent: AgentProc;
  const N = 200;
  const PER = 10;
  const nodes = nodeNames('hol-', N);

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', String(N), '--node-prefix', 'hol-', '--cpus', '8', '--mem', '8192', '--disk', '100', '--attr', 'zone=z1']);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    client?.close();
    etcd?.stop();
  });

  it('registers every node Ready, with one heartbeat key each on one shared lease', async () => {
    const listed = await store.list<Node>(NODE);
    assert.equal(listed.items.length, N);
    for (const n of listed.items) {
      assert.equal(n.object.status?.state, 'Ready');
      assert.equal(n.object.spec.driver, 'sim');
      assert.deepEqual(n.object.spec.attributes, { zone: 'z1' });
    }
    const hb = await client.getAll().prefix(HEARTBEAT_PREFIX).exec();
    assert.equal(hb.kvs.length, N);
    assert.equal(new Set(hb.kvs.map((kv) => String(kv.lease))).size, 1);
  });

  it(`runs ${N * PER} tasks bound across ${N} nodes, and reports how each sim task exits`, async () => {
    const seen = new Set<string>();
    const w = await client.watch().prefix(statusKey(TASK, 'default', '')).create();
    const allRunning = new Promise<void>((res) =>
      w.on('data', (r: IWatchResponse) => {
        // a 0.5 s task may be reported once, already exited, when the agent is slow: started all the same
        for (const e of r.events) if (STARTED.has(JSON.parse(e.kv.value.toString()).state)) seen.add(e.kv.key.toString());
        if (seen.size >= N * PER) res();
      }),
    );
    const t0 = performance.now();
    await forEachLimit(nodes, 32, async (n) => {
      const tasks = Array.from({ length: PER }, (_, j) => newTask(`${n}-${j}`, j === 0 ? { sim: { runSeconds: 0.5, exitCode: j === 0 && n.endsWith('1') ? 3 : 0 } } : {}));
      await createAndBind(store, n, tasks);
    });
    const bound = performance.now();
    await Promise.race([allRunning, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${seen.size} Running`)), 20_000))]);
    await w.cancel();
    const last = performance.now() - bound;
    assert.ok(last < 15_000, `all Running ${Math.round(last)} ms after the last binding (${Math.round(bound - t0)} ms to create and bind)`);
    assert.equal((await waitForTask(store, 'hol-0001-0', (s) => s.state === 'Failed', 5000)).exitCode, 3);
    assert.equal((await waitForTask(store, 'hol-0002-0', (s) => s.state === 'Succeeded', 5000)).exitCode, 0);
  });

  it('never overwrites a status someone else made terminal: a batch with one conflict writes the rest', async () => {
    const names = ['cas-0', 'cas-1', 'cas-2', 'cas-3', 'cas-4'];
    // All five exit at the same instant: their Succeeded patches leave in one transaction.
    await createAndBind(store, 'hol-0004', names.map((n) => newTask(n, { sim: { runSeconds: 1.5, exitCode: 0 } })));
    for (const n of names) await waitForTask(store, n, (s) => s.state === 'Running', 5000);
    // What the leader does to a task it gave up on.
    const cur = (await store.get(TASK, 'default', 'cas-2'))!;
    await store.putStatus(TASK, 'default', 'cas-2', { ...cur.object.status, state: 'Lost', reason: 'NodeLost' }, cur.statusRev);
    for (const n of names.filter((x) => x !== 'cas-2')) await waitForTask(store, n, (s) => s.state === 'Succeeded', 5000);
    await new Promise((r) => setTimeout(r, 300));
    const lost = (await store.get(TASK, 'default', 'cas-2'))!.object.status!;
    assert.equal(lost.state, 'Lost');
    assert.equal(lost.reason, 'NodeLost');
    const address = (await store.get<Node>(NODE, undefined, 'hol-0004'))!.object.spec.address;
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    assert.match(metrics, /stowage_agent_status_writes_total\{result="conflict"\} [1-9]/, 'the agent did try, and lost the CAS');
  });

  it('runs health checks on hollow nodes as execs (healthy while running)', async () => {
    await createAndBind(store, 'hol-0003', [
      newTask('sim-health', { ports: [], healthChecks: [{ protocol: 'HTTP', port: '0', gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 1 }] }),
    ]);
    const st = await waitForTask(store, 'sim-health', (s) => s.health === 'Healthy', 5000);
    assert.equal(st.state, 'Running');
  });
});

describe('heartbeat lease lost and regained', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let proxy: Proxy;
  let agent: AgentProc;
  const nodes = nodeNames('lease-', 3);

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    proxy = await startProxy(etcd.port);
    agent = await spawnAgent(['--etcd', `http://127.0.0.1:${proxy.port}`, '--driver', 'sim', '--nodes', '3', '--node-prefix', 'lease-', '--heartbeat-ttl', '2']);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await proxy?.close();
    client?.close();
    etcd?.stop();
  });

  it('grants a new lease, puts the heartbeats back and registers Ready again when etcd returns', async () => {
    assert.ok(await client.get(heartbeatKey(nodes[0]!)).string());
    proxy.cut();
    await waitFor('heartbeats to expire', async () => (await client.getAll().prefix(HEARTBEAT_PREFIX).keys()).length === 0, 10_000);
    // What the leader's node-lifecycle loop does when a heartbeat vanishes.
    for (const n of nodes) {
      const cur = (await store.get<Node>(NODE, undefined, n))!;
      await store.putStatus(NODE, undefined, n, { ...cur.object.status, state: 'NotReady', reason: 'HeartbeatLost' } satisfies NodeStatus, cur.statusRev);
    }
    // A task bound while the agent is cut off runs once it is back.
    await createAndBind(store, nodes[1]!, [newTask('while-away', {})]);
    proxy.restore();
    await waitFor('heartbeats back', async () => (await client.getAll().prefix(HEARTBEAT_PREFIX).keys()).length === 3, 15_000);
    for (const n of nodes) await waitFor(`${n} Ready`, async () => (await store.get<Node>(NODE, undefined, n))?.object.status?.state === 'Ready', 5000);
    await waitForTask(store, 'while-away', (s) => s.state === 'Running', 10_000);
    assert.match(agent.output.join('\n'), /heartbeat lease lost/);
  });
});
