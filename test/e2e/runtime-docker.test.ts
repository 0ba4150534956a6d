/**
 * The docker driver against a real engine: the shared one for everything but
 * the dockerd restart, which gets an engine of its own (hack/dockerd.sh
 * --socket) so nobody else's containers die with it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { DockerRuntime } from '../../pkg/agent/runtime/docker.js';
import { RuntimeError, type ContainerSpec, type RuntimeEvent } from '../../pkg/agent/runtime/runtime.js';
import { memoryLogger } from '../../pkg/log/logger.js';
import {
  IMAGE,
  dockerCli,
  dockerInspect,
  ensureDocker,
  privateDockerd,
  removeNodeContainers,
  testNodeName,
  waitFor,
  type PrivateDockerd,
} from '../helpers/docker.js';

const MiB = 1024 * 1024;
let seq = 0;

function specFor(node: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  const n = ++seq;
  return {
    taskUid: `${process.pid.toString(16).padStart(8, '0')}-task-${n}`,
    taskRef: `default/rt-${n}`,
    nodeName: node,
    image: IMAGE,
    command: ['sleep', '300'],
    env: {},
    cpus: 0.1,
    memMiB: 32,
    pidsLimit: 64,
    ...over,
  };
}

const sh = (script: string) => ({ command: ['/bin/sh', '-c', script] });

async function readAll(s: Readable): Promise<string> {
  let out = '';
  for await (const c of s) out += c;
  return out;
}

describe('DockerRuntime (shared engine)', () => {
  const node = testNodeName('rt');
  const other = testNodeName('rt-other');
  const log = memoryLogger();
  const events: RuntimeEvent[] = [];
  let rt: DockerRuntime;
  const spec = (over: Partial<ContainerSpec> = {}) => specFor(node, over);
  const eventFor = (id: string, type: RuntimeEvent['type']) => waitFor(`${type} event of ${id.slice(0, 12)}`, () => events.find((e) => e.id === id && e.type === type));
  /** Until the container printed `text` (e.g. "ready" once its trap is set: a TERM before that is lost on PID 1). */
  const printed = (id: string, text: string) => waitFor(`"${text}" in the logs of ${id.slice(0, 12)}`, async () => (await readAll(await rt.logs(id, { follow: false }))).includes(text));

  before(async () => {
    ensureDocker();
    rt = new DockerRuntime({ nodeName: node, log });
    rt.onEvent((e) => events.push(e));
    await rt.ready();
  });
  after(async () => {
    await rt?.close();
    await removeNodeContainers(node);
    await removeNodeContainers(other);
  });

  it('starts a container with limits, labels, env and host networking', async () => {
    const s = spec({ cpus: 0.25, memMiB: 48, pidsLimit: 50, env: { GREETING: 'hello world', PORT0: '31001' } });
    const id = await rt.start(s);
    const d = await dockerInspect(id);
    assert.equal(d.Name, `/stowage-default-${s.taskRef.split('/')[1]}-${s.taskUid.replace(/-/g, '').slice(0, 8)}`);
    assert.equal(d.HostConfig.NetworkMode, 'host');
    assert.equal(d.HostConfig.Memory, 48 * MiB);
    assert.equal(d.HostConfig.NanoCpus, 250_000_000);
    assert.equal(d.HostConfig.PidsLimit, 50);
    assert.equal(d.HostConfig.RestartPolicy?.Name, 'no');
    assert.deepEqual(d.Config.Labels, { 'stowage.task': s.taskUid, 'stowage.node': node, 'stowage.name': s.taskRef });
    assert.ok(d.Config.Env.includes('GREETING=hello world') && d.Config.Env.includes('PORT0=31001'), d.Config.Env.join(' '));
    assert.deepEqual(d.Config.Entrypoint, ['sleep', '300']);
    assert.equal(d.State.Running, true);
    const c = await rt.inspect(id);
    assert.deepEqual([c?.phase, c?.taskUid, c?.taskRef], ['running', s.taskUid, s.taskRef]);
    assert.ok(c?.startedAt);
    await eventFor(id, 'start');
  });

  it('starting the same task again returns the running container', async () => {
    const s = spec();
    const id = await rt.start(s);
    assert.equal(await rt.start(s), id);
  });

  it('reports start, then die with the exit code after docker kill; not marked killed', async () => {
    const id = await rt.start(spec());
    await eventFor(id, 'start');
    dockerCli(['kill', id]);
    const die = await eventFor(id, 'die');
    assert.equal(die.exitCode, 137);
    assert.ok(die.taskUid);
    const c = await rt.inspect(id);
    assert.deepEqual([c?.phase, c?.exitCode, c?.oomKilled, c?.killed], ['exited', 137, false, undefined]);
    assert.ok(c?.finishedAt);
    await rt.remove(id);
    await eventFor(id, 'destroy');
    assert.equal(await rt.inspect(id), undefined);
  });

  it('a task past its memory limit is OOM-killed: oomKilled, exit 137, an oom event', async () => {
    const id = await rt.start(spec({ memMiB: 16, cpus: 1, ...sh('x=$(head -c 64m /dev/zero | tr "\\0" a); echo ${#x}; sleep 1') }));
    const die = await eventFor(id, 'die');
    assert.equal(die.exitCode, 137);
    await eventFor(id, 'oom');
    const c = await rt.inspect(id);
    assert.deepEqual([c?.phase, c?.exitCode, c?.oomKilled, c?.killed], ['exited', 137, true, undefined]);
  });

  it('a missing image is ImageNotFound at once, and nothing is pulled', async () => {
    const t0 = Date.now();
    await assert.rejects(rt.start(spec({ image: 'localhost/no-such-image:7' })), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.reason, 'ImageNotFound');
      assert.equal(e.message, `image "localhost/no-such-image:7" is not present on node ${node} and no registry is reachable: build or load it first`);
      assert.equal(e.retryable, false);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  });

  it('a command that cannot start is StartError and leaves no container behind', async () => {
    const s = spec({ command: ['/no/such/binary'] });
    await assert.rejects(rt.start(s), (e: unknown) => e instanceof RuntimeError && e.reason === 'StartError' && /no such file|not found/i.test(e.message));
    assert.equal((await rt.list()).filter((c) => c.taskUid === s.taskUid).length, 0);
  });

  it('stop: a process that handles SIGTERM exits within the grace; the kill mark survives the process', async () => {
    const id = await rt.start(spec(sh('trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.1; done')));
    await printed(id, 'ready');
    const t0 = Date.now();
    await rt.stop(id, 10);
    const took = Date.now() - t0;
    assert.ok(took < 3000, `stop took ${took} ms`);
    const c = await rt.inspect(id);
    assert.deepEqual([c?.phase, c?.exitCode, c?.killed], ['exited', 0, true]);
    assert.match(await readAll(await rt.logs(id, { follow: false })), /bye/);
    // A fresh runtime (an agent that restarted) still sees it was killed through the runtime.
    const fresh = new DockerRuntime({ nodeName: node, log });
    try {
      assert.equal((await fresh.inspect(id))?.killed, true);
      assert.equal((await fresh.list()).find((x) => x.id === id)?.killed, true);
    } finally {
      await fresh.close();
    }
  });

  it('stop: a process that ignores SIGTERM is killed after the grace', async () => {
    const id = await rt.start(spec(sh('trap "" TERM; echo ready; while true; do sleep 0.1; done')));
    await printed(id, 'ready');
    const t0 = Date.now();
    await rt.stop(id, 1);
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 5000, `stop took ${took} ms`);
    const c = await rt.inspect(id);
    assert.deepEqual([c?.phase, c?.exitCode, c?.killed], ['exited', 137, true]);
    assert.equal((await eventFor(id, 'die')).exitCode, 137);
  });

  it('stop of a container that already exited does not mark it killed', async () => {
    const id = await rt.start(spec({ command: ['true'] }));
    await eventFor(id, 'die');
    await rt.stop(id, 1);
    const c = await rt.inspect(id);
    assert.deepEqual([c?.exitCode, c?.killed], [0, undefined]);
    await rt.stop('0000000000000000000000000000000000000000000000000000000000000000', 1); // unknown: a no-op
  });

  it('logs: stdout and stderr demultiplexed into one text stream; tail; follow', async () => {
    const id = await rt.start(spec(sh('echo err-1 >&2; sleep 0.2; echo out-1; echo out-2; sleep 0.5; echo late; sleep 300')));
    await printed(id, 'out-2');
    // stdout and stderr are separate pipes: their relative order is not kept, each one's is.
    const lines = (await readAll(await rt.logs(id, { follow: false }))).split('\n');
    assert.deepEqual([...lines].sort(), ['', 'err-1', 'out-1', 'out-2']);
    assert.ok(lines.indexOf('out-1') < lines.indexOf('out-2'));
    assert.equal(await readAll(await rt.logs(id, { follow: false, tail: 1 })), 'out-2\n');
    const follow = await rt.logs(id, { follow: true, tail: 0 });
    let seen = '';
    await new Promise<void>((res, rej) => {
      follow.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('late')) res();
      });
      follow.once('error', rej);
    });
    follow.destroy();
    assert.equal(seen, 'late\n');
  });

  it('exec: the exit code; a timeout; a stopped container', async () => {
    const id = await rt.start(spec());
    assert.deepEqual(await rt.exec(id, ['true'], 5000), { exitCode: 0 });
    assert.deepEqual(await rt.exec(id, ['sh', '-c', 'echo noise; exit 3'], 5000), { exitCode: 3 });
    await assert.rejects(rt.exec(id, ['sleep', '5'], 200), (e: unknown) => e instanceof RuntimeError && e.reason === 'ExecTimeout');
    await rt.stop(id, 0);
    await assert.rejects(rt.exec(id, ['true'], 1000), (e: unknown) => e instanceof RuntimeError && e.reason === 'ContainerNotRunning');
  });

  it("lists only this node's containers, and touches nobody else's", async () => {
    const mine = await rt.start(spec());
    const rt2 = new DockerRuntime({ nodeName: other, log });
    try {
      const theirs = await rt2.start(specFor(other));
      const ids = (await rt.list()).map((c) => c.id);
      assert.ok(ids.includes(mine));
      assert.ok(!ids.includes(theirs));
      assert.equal(await rt.inspect(theirs), undefined);
      await rt.remove(theirs); // not ours: ignored
      assert.equal((await rt2.inspect(theirs))?.phase, 'running');
    } finally {
      await rt2.close();
    }
  });

  it('create+start latency: one, then 20 in parallel', async () => {
    const one: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await rt.start(spec());
      one.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 20 }, () => rt.start(spec())));
    const twenty = performance.now() - t0;
    const sorted = [...one].sort((a, b) => a - b);
    console.log(`# create+start of one container: ${one.map((x) => x.toFixed(0)).join(', ')} ms (median ${sorted[2]!.toFixed(0)}); 20 in parallel: ${twenty.toFixed(0)} ms`);
    assert.ok(sorted[2]! < 2000, `median start ${sorted[2]} ms`);
    assert.ok(twenty < 15_000, `20 starts took ${twenty} ms`);
  });
});

describe('DockerRuntime survives a dockerd restart (a private engine)', () => {
  const node = testNodeName('rt-restart');
  let engine: PrivateDockerd | undefined;
  let rt: DockerRuntime | undefined;

  before(() => {
    engine = privateDockerd('rt-restart', { liveRestore: false }); // the restart must stop its container
  });
  after(async () => {
    await rt?.close();
    if (engine) {
      await removeNodeContainers(node, engine.socket).catch(() => {});
      engine.stop();
    }
  });

  it('reconnects the event stream, fires onReconnect, and goes on reporting', async () => {
    const log = memoryLogger();
    rt = new DockerRuntime({ nodeName: node, socketPath: engine!.socket, log, reconnectBackoffMs: { initial: 50, max: 500 } });
    const events: RuntimeEvent[] = [];
    let connects = 0;
    rt.onEvent((e) => events.push(e));
    rt.onReconnect(() => connects++);
    await rt.ready();
    assert.equal(connects, 1, 'the first connect fires too');
    const before = await rt.start(specFor(node, sh('trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done')));
    await waitFor('start event', () => events.find((e) => e.id === before && e.type === 'start'));
    await waitFor('its trap set', async () => (await readAll(await rt!.logs(before, { follow: false }))).includes('ready'));

    const t0 = Date.now();
    engine!.restart();
    console.log(`# private dockerd restarted in ${Date.now() - t0} ms`);
    await waitFor('a reconnect', () => connects >= 2, 20_000);
    assert.ok(log.lines.some((l) => l.message === 'docker event stream lost; reconnecting'));
    // What happened while it was down is known from a re-list, as the agent does on onReconnect.
    const c = await rt.inspect(before);
    assert.equal(c?.phase, 'exited');
    assert.equal(c?.killed, undefined, 'stopped by dockerd, not through the runtime');

    const afterId = await rt.start(specFor(node, { command: ['true'] }));
    const die = await waitFor('die event after the restart', () => events.find((e) => e.id === afterId && e.type === 'die'));
    assert.equal(die.exitCode, 0);
  });
});
