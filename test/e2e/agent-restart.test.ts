/**
 * The agent survives its own death and the engine's: kill -9 and a restart
 * adopt the running containers (same IDs, not restarted), report what died
 * meanwhile and remove what no task claims; SIGTERM leaves containers
 * running and takes the node's heartbeat away at once; a dockerd restart
 * (on a private engine) is reported and survived.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import type { Task } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { heartbeatKey } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { containersOf, createAndBind, newTask, spawnAgent, TASK, waitForTask, type AgentProc } from '../helpers/agent.js';
import { dockerCli, dockerInspect, ensureDocker, IMAGE, privateDockerd, removeNodeContainers, testNodeName, waitFor, type PrivateDockerd } from '../helpers/docker.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';

describe('agent restarts', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  const procs: AgentProc[] = [];
  const node = testNodeName('agent-restart');
  const flags = () => ['--etcd', etcd.endpoint, '--node', node, '--ports', '30100-30199', '--heartbeat-ttl', '3'];

  before(async () => {
    ensureDocker();
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
  });

  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await removeNodeContainers(node);
    client?.close();
    etcd?.stop();
  });

  it('after kill -9 and a restart: adopts running containers, reports exits, removes unclaimed ones', async () => {
    const a = await spawnAgent(flags());
    procs.push(a);
    await createAndBind(store, node, ['keep1', 'keep2', 'dies', 'deleted'].map((n) => newTask(n, { command: ['sleep', '600'], killGracePeriodSeconds: 1 })));
    const before = new Map<string, string>();
    for (const n of ['keep1', 'keep2', 'dies', 'deleted']) before.set(n, (await waitForTask(store, n, (s) => s.state === 'Running', 5000)).containerId!);
    const started1 = (await dockerInspect(before.get('keep1')!)).State.StartedAt;

    await a.stop('SIGKILL');
    // While the agent is down: one container dies, one task is deleted, a stray container appears.
    dockerCli(['kill', before.get('dies')!]);
    await store.remove(TASK, 'default', 'deleted');
    const stray = dockerCli(['run', '-d', '--label', `stowage.node=${node}`, '--label', 'stowage.task=nobody-claims-this', IMAGE, 'sleep', '600']).trim();
    const bystander = dockerCli(['run', '-d', '--label', `not-stowage=${node}`, IMAGE, 'sleep', '600']).trim();
    try {
      const b = await spawnAgent(flags());
      procs.push(b);
      const dies = await waitForTask(store, 'dies', (s) => s.state === 'Failed', 5000);
      assert.equal(dies.exitCode, 137, 'an exit while the agent was down is reported');
      // Unclaimed: no task says how long to wait, so the default grace (10 s) applies; `sleep` ignores SIGTERM.
      await waitFor(
        'unclaimed containers removed',
        async () => {
          const all = await containersOf(node, true);
          return !all.includes(stray) && !all.includes(before.get('deleted')!);
        },
        15_000,
      );
      const running = await containersOf(node);
      assert.deepEqual(running, [before.get('keep1')!, before.get('keep2')!].sort(), 'the same containers keep running');
      assert.equal((await dockerInspect(before.get('keep1')!)).State.StartedAt, started1, 'not restarted');
      for (const n of ['keep1', 'keep2']) {
        const st = await waitForTask(store, n, (s) => s.state === 'Running', 2000);
        assert.equal(st.containerId, before.get(n));
      }
      assert.equal((await dockerInspect(bystander)).State.Running, true, 'a container without stowage labels is left alone');
    } finally {
      dockerCli(['rm', '-f', bystander]);
    }
  });

  it('on SIGTERM: exits 0, the heartbeat goes at once, containers keep running; the next agent adopts them', async () => {
    const live = procs.at(-1)!;
    const before = await containersOf(node);
    assert.equal(before.length, 2);
    assert.ok(await client.get(heartbeatKey(node)).string());
    const t0 = performance.now();
    assert.equal(await live.stop('SIGTERM'), 0);
    assert.equal(await client.get(heartbeatKey(node)).string(), null, 'lease revoked: heartbeat gone without waiting for the TTL');
    assert.ok(performance.now() - t0 < 3000);
    assert.deepEqual(await containersOf(node), before);
    const c = await spawnAgent(flags());
    procs.push(c);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await containersOf(node), before);
    assert.ok(await client.get(heartbeatKey(node)).string());
  });
});

describe('agent and a dockerd restart', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let engine: PrivateDockerd;
  let agent: AgentProc | undefined;
  const node = testNodeName('agent-dockerd');

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    engine = privateDockerd('agent-e2e', { liveRestore: false }); // the restart must kill its containers
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await removeNodeContainers(node, engine.socket).catch(() => 0);
    engine?.stop();
    client?.close();
    etcd?.stop();
  });

  it('reports the containers that died with the engine, reconnects, and runs new tasks', async () => {
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--node', node, '--ports', '30200-30299', '--docker-socket', engine.socket]);
    await createAndBind(store, node, [newTask('before', { command: ['sleep', '600'] })]);
    await waitForTask(store, 'before', (s) => s.state === 'Running', 5000);
    engine.restart();
    const dead = await waitForTask(store, 'before', (s) => s.state !== 'Running', 15_000);
    assert.equal(dead.state, 'Failed');
    assert.ok(dead.exitCode !== undefined && dead.exitCode !== 0, `exit code ${dead.exitCode}`);
    await createAndBind(store, node, [newTask('after', { command: ['sleep', '600'] })]);
    const st = await waitForTask(store, 'after', (s) => s.state === 'Running', 10_000);
    assert.deepEqual(await containersOf(node, false, engine.socket), [st.containerId!]);
    const t: Task = (await store.get<Task>(TASK, 'default', 'before'))!.object;
    assert.equal(t.status?.state, 'Failed', 'and the dead one is not restarted');
  });
});
