/**
 * A dockerd restart under a running agent, on an engine of the test's own:
 *
 *   live-restore on:  the containers keep running and serving; the agent
 *     reconnects (API, event stream), re-lists and adopts them: the same
 *     tasks, the same container IDs (not restarted), and no status write
 *     ever says anything but Running and Healthy (every write to the tasks'
 *     status keys is watched through the restart); no task is added.
 *   engine away a while: a task assigned meanwhile waits for it, never
 *     reported Failed, and starts once it is back.
 *   live-restore off: the containers die with the engine; the agent reports
 *     each Failed with its exit, and the services loop replaces them.
 *
 * One etcd, one server, one agent, a 3-instance service with an HTTP health
 * check.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskStatus } from '../../pkg/api/types.js';
import { statusPrefix } from '../../pkg/store/keys.js';
import { containersOf } from '../helpers/agent.js';
import { dockerInspect, privateDockerd, testNodeName, type PrivateDockerd } from '../helpers/docker.js';
import { isHealthy, portRange, serviceTasks, startCluster, stowctl, TASK, until, type Cluster } from '../helpers/stowage.js';

const manifest = `apiVersion: stowage/v1
kind: Service
metadata: {name: steady}
spec:
  instances: 3
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 1
  healthChecks:
    - {protocol: HTTP, port: http, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
`;

describe('agent and a dockerd restart', () => {
  let c: Cluster;
  let engine: PrivateDockerd;
  const node = testNodeName('dockerd-restart');

  before(async () => {
    engine = privateDockerd('dockerd-restart', { liveRestore: true });
    c = await startCluster({ nodes: [] });
    c.agentArgs.set(node, ['--etcd', c.etcd.endpoint, '--node', node, '--cpus', '2', '--mem', '1024', '--disk', '100', '--heartbeat-ttl', '2', '--ports', portRange(3), '--docker-socket', engine.socket]);
    await c.startAgent(node);
    const r = await stowctl(c.server.url, ['apply', '-f', '-', '--wait', '--timeout', '60s'], { stdin: manifest });
    assert.equal(r.code, 0, r.err + r.out);
  });
  after(async () => {
    await c?.stop();
    engine?.stop();
  });

  const healthy = async () => (await serviceTasks(c.store, 'steady')).filter(isHealthy);

  it('live-restore: containers adopted, same tasks and container IDs, never reported anything but Running and Healthy', async () => {
    assert.equal(engine.liveRestore, true);
    const before = await until('3 healthy', async () => ((await healthy()).length === 3 ? healthy() : undefined), 30_000, 100);
    const uids = before.map((t) => t.metadata.uid!).sort();
    const ids = before.map((t) => t.status!.containerId!).sort();
    const started = new Map(await Promise.all(ids.map(async (id) => [id, (await dockerInspect(id, engine.socket)).State.StartedAt] as const)));
    assert.deepEqual(await containersOf(node, false, engine.socket), ids);

    // every status write of the service's tasks from now on
    const writes: { name: string; st: TaskStatus }[] = [];
    const watcher = await c.client.watch().prefix(statusPrefix(TASK)).create();
    watcher.on('put', (kv) => writes.push({ name: kv.key.toString().split('/').at(-1)!, st: JSON.parse(kv.value.toString()) as TaskStatus }));
    const agentLog = c.agents.get(node)!.output;
    const logMark = agentLog.length;
    try {
      const t0 = Date.now();
      engine.restart();
      console.log(`# dockerd (live-restore) restarted in ${Date.now() - t0} ms`);
      await until('the agent re-listed after the engine came back', () => agentLog.slice(logMark).some((l) => l.includes('"containers listed"') && l.includes('engine reconnected')), 30_000, 100);
      // a few health intervals after the re-list: what the agent would report has been reported
      const mark = Date.now();
      await until('3 s of health checks after the re-list', async () => Date.now() - mark > 3000 && (await healthy()).length === 3, 30_000, 200);
    } finally {
      await watcher.cancel();
    }
    const bad = writes.filter((w) => w.st.state !== 'Running' || w.st.health !== 'Healthy');
    assert.deepEqual(bad, [], 'no status write but Running and Healthy');
    const all = await serviceTasks(c.store, 'steady');
    assert.deepEqual(all.map((t) => t.metadata.uid!).sort(), uids, 'no task added or replaced');
    assert.deepEqual(all.map((t) => t.status!.containerId!).sort(), ids, 'the same containers');
    assert.deepEqual(await containersOf(node, false, engine.socket), ids);
    for (const id of ids) assert.equal((await dockerInspect(id, engine.socket)).State.StartedAt, started.get(id), `container ${id.slice(0, 12)} not restarted`);
    assert.ok(agentLog.slice(logMark).some((l) => l.includes('docker event stream reconnected')), 'the event stream reconnected');
  });

  it('engine away for a while: a task assigned meanwhile waits for it (never Failed) and starts when it is back; the others run on', async () => {
    const before = await until('3 healthy', async () => ((await healthy()).length === 3 ? healthy() : undefined), 30_000, 100);
    const ids = before.map((t) => t.status!.containerId!).sort();
    const writes: { name: string; st: TaskStatus }[] = [];
    const watcher = await c.client.watch().prefix(statusPrefix(TASK)).create();
    watcher.on('put', (kv) => writes.push({ name: kv.key.toString().split('/').at(-1)!, st: JSON.parse(kv.value.toString()) as TaskStatus }));
    const agentLog = c.agents.get(node)!.output;
    const logMark = agentLog.length;
    engine.halt();
    let down = true;
    try {
      assert.equal((await stowctl(c.server.url, ['scale', 'service/steady', '--instances', '4'])).code, 0);
      // more failed starts than the five a task gets when the engine answers with an error
      await until('6 starts the engine did not answer', () => agentLog.slice(logMark).filter((l) => l.includes('task sync failed; retrying') && l.includes('not reachable')).length >= 6, 60_000, 200);
      engine.start();
      down = false;
      await until('4 healthy', async () => (await healthy()).length === 4, 60_000, 200);
    } finally {
      if (down) engine.start();
      await watcher.cancel();
    }
    assert.deepEqual(writes.filter((w) => w.st.state === 'Failed'), [], 'no task reported Failed');
    const now = await healthy();
    assert.deepEqual(now.map((t) => t.status!.containerId!).filter((id) => ids.includes(id)).sort(), ids, 'the running ones kept their containers');
    assert.equal((await stowctl(c.server.url, ['scale', 'service/steady', '--instances', '3'])).code, 0);
  });

  it('live-restore off: the containers that died are reported Failed with their exit and replaced', async () => {
    // An engine started without live-restore stops the running containers it finds, even those a
    // live-restore engine left: the tasks are read once they run on this engine (their statuses
    // name its running containers), not from statuses written before the restart.
    engine.restart({ liveRestore: false });
    const before = await until('3 healthy tasks whose containers run on the engine without live-restore', async () => {
      const hs = await healthy();
      const running = await containersOf(node, false, engine.socket);
      return hs.length === 3 && hs.map((t) => t.status!.containerId!).sort().join() === running.join() ? hs : undefined;
    }, 60_000, 200);
    const old = new Set(before.map((t) => t.metadata.name));
    const writes: { name: string; st: TaskStatus }[] = [];
    const watcher = await c.client.watch().prefix(statusPrefix(TASK)).create();
    watcher.on('put', (kv) => writes.push({ name: kv.key.toString().split('/').at(-1)!, st: JSON.parse(kv.value.toString()) as TaskStatus }));
    const t0 = Date.now();
    try {
      engine.restart();
      const after = await until('3 healthy replacements', async () => {
        const hs = await healthy();
        return hs.length === 3 && hs.every((t) => !old.has(t.metadata.name)) ? hs : undefined;
      }, 60_000, 200);
      assert.equal(after.length, 3);
    } finally {
      await watcher.cancel();
    }
    console.log(`# live-restore off: 3 healthy replacements ${Date.now() - t0} ms after the restart began`);
    for (const name of old) {
      const ended = writes.find((w) => w.name === name && w.st.state !== 'Running');
      const now = (await serviceTasks(c.store, 'steady')).find((t) => t.metadata.name === name);
      assert.ok(ended, `${name}: no status write after Running; its writes: ${JSON.stringify(writes.filter((w) => w.name === name))}; now: ${JSON.stringify(now ?? 'deleted')}`);
      assert.equal(ended.st.state, 'Failed', `${name}: ${JSON.stringify(ended.st)}`);
      assert.ok(ended.st.exitCode !== undefined && ended.st.exitCode !== 0, `${name} exit ${ended.st.exitCode}`);
      assert.match(ended.st.message ?? '', /exited with code \d+/);
      console.log(`# ${name}: ${ended.st.reason} "${ended.st.message}"`);
    }
  });
});
