import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineQueue, SimRuntime } from './sim.js';
import { RuntimeError, type ContainerSpec, type RuntimeEvent } from './runtime.js';

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  taskUid: 'uid-1',
  taskRef: 'default/t1',
  nodeName: 'hollow-1',
  image: 'localhost/stowage-busybox:1',
  env: {},
  cpus: 0.1,
  memMiB: 16,
  pidsLimit: 64,
  ...over,
});

/** A runtime on a manual queue and a clock the test steps. */
function fixture() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const q = new DeadlineQueue({ now: () => now, manual: true });
  const rt = new SimRuntime({ nodeName: 'hollow-1', deadlines: q });
  const events: RuntimeEvent[] = [];
  rt.onEvent((e) => events.push(e));
  const advance = (ms: number) => {
    now += ms;
    q.runDue(now);
  };
  return { rt, q, events, advance };
}

describe('DeadlineQueue', () => {
  it('runs callbacks in deadline order, each once, skipping cancelled ones', () => {
    const q = new DeadlineQueue({ manual: true, now: () => 0 });
    const ran: number[] = [];
    for (const at of [50, 10, 40, 20, 30]) q.add(at, () => ran.push(at));
    const d = q.add(25, () => ran.push(25));
    q.cancel(d);
    assert.equal(q.size, 5);
    assert.equal(q.runDue(35), 3);
    assert.deepEqual(ran, [10, 20, 30]);
    assert.equal(q.runDue(100), 2);
    assert.deepEqual(ran, [10, 20, 30, 40, 50]);
    assert.equal(q.size, 0);
  });

  it('keeps order over many random deadlines and compacts cancelled ones', () => {
    const q = new DeadlineQueue({ manual: true, now: () => 0 });
    const ran: number[] = [];
    const ds = Array.from({ length: 5000 }, () => {
      const at = Math.floor(Math.random() * 1e6);
      return { at, d: q.add(at, () => ran.push(at)) };
    });
    for (const x of ds.slice(0, 3000)) q.cancel(x.d);
    assert.equal(q.size, 2000);
    q.runDue(1e6);
    assert.equal(ran.length, 2000);
    assert.deepEqual(ran, [...ran].sort((a, b) => a - b));
  });

  it('fires on its own timer when not manual', async () => {
    const q = new DeadlineQueue();
    let lateRan = false;
    const late = q.add(Date.now() + 5000, () => (lateRan = true));
    const fired = await new Promise<number>((res) => {
      const t0 = Date.now();
      q.add(t0 + 30, () => res(Date.now() - t0));
    });
    assert.ok(fired >= 25, `fired after ${fired} ms`);
    assert.equal(lateRan, false);
    q.cancel(late); // the last one: the queue drops its timer, nothing holds the process
  });
});

describe('SimRuntime', () => {
  it('starts at once, runs for runSeconds, exits with exitCode, with docker-like events', async () => {
    const { rt, events, advance } = fixture();
    const id = await rt.start(spec({ sim: { runSeconds: 5, exitCode: 3 } }));
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.deepEqual(events.map((e) => e.type), ['start']);
    assert.equal((await rt.inspect(id))?.phase, 'running');
    advance(4999);
    assert.equal((await rt.inspect(id))?.phase, 'running');
    advance(1);
    const c = await rt.inspect(id);
    assert.equal(c?.phase, 'exited');
    assert.equal(c?.exitCode, 3);
    assert.equal(c?.killed, undefined);
    assert.equal(c?.startedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(c?.finishedAt, '2026-01-01T00:00:05.000Z');
    assert.deepEqual(
      events.map((e) => [e.type, e.taskUid, e.exitCode]),
      [
        ['start', 'uid-1', undefined],
        ['die', 'uid-1', 3],
      ],
    );
    await rt.remove(id);
    assert.equal(events.at(-1)?.type, 'destroy');
    assert.equal(await rt.inspect(id), undefined);
  });

  it('exits 0 by default; runs forever without runSeconds', async () => {
    const { rt, advance } = fixture();
    const a = await rt.start(spec({ sim: { runSeconds: 0 } }));
    const b = await rt.start(spec({ taskUid: 'uid-2' }));
    advance(1);
    assert.equal((await rt.inspect(a))?.exitCode, 0);
    advance(365 * 24 * 3600 * 1000);
    assert.equal((await rt.inspect(b))?.phase, 'running');
  });

  it('stop exits with 137 and marks the container killed; a stopped container never exits again', async () => {
    const { rt, events, advance, q } = fixture();
    const id = await rt.start(spec({ sim: { runSeconds: 10 } }));
    await rt.stop(id, 5);
    const c = await rt.inspect(id);
    assert.deepEqual([c?.phase, c?.exitCode, c?.killed], ['exited', 137, true]);
    assert.equal(q.size, 0);
    advance(20_000);
    assert.deepEqual(events.map((e) => e.type), ['start', 'die']);
    await rt.stop(id, 5); // idempotent
    await rt.stop('nope', 5);
    assert.equal(events.length, 2);
  });

  it('a container that exited on its own is not marked killed by a later stop', async () => {
    const { rt, advance } = fixture();
    const id = await rt.start(spec({ sim: { runSeconds: 1 } }));
    advance(1000);
    await rt.stop(id, 5);
    assert.equal((await rt.inspect(id))?.killed, undefined);
  });

  it('remove of a running container dies then is destroyed', async () => {
    const { rt, events } = fixture();
    const id = await rt.start(spec());
    await rt.remove(id);
    assert.deepEqual(events.map((e) => [e.type, e.exitCode]), [['start', undefined], ['die', 137], ['destroy', undefined]]);
    assert.deepEqual(await rt.list(), []);
  });

  it('exec answers 0 while running and refuses otherwise; logs say it is hollow', async () => {
    const { rt } = fixture();
    const id = await rt.start(spec());
    assert.deepEqual(await rt.exec(id, ['true'], 1000), { exitCode: 0 });
    let text = '';
    for await (const chunk of await rt.logs(id, { follow: true })) text += chunk;
    assert.match(text, /hollow node hollow-1: task default\/t1 runs in memory/);
    await rt.stop(id, 0);
    await assert.rejects(rt.exec(id, ['true'], 1000), (e: unknown) => e instanceof RuntimeError && e.reason === 'ContainerNotRunning');
    await assert.rejects(rt.exec('nope', ['true'], 1000), (e: unknown) => e instanceof RuntimeError && e.reason === 'ContainerNotFound');
  });

  it('lists copies: callers cannot change what it holds', async () => {
    const { rt } = fixture();
    const id = await rt.start(spec());
    const [c] = await rt.list();
    c!.phase = 'exited';
    assert.equal((await rt.inspect(id))?.phase, 'running');
  });

  it('refuses a spec for another node', async () => {
    const { rt } = fixture();
    await assert.rejects(rt.start(spec({ nodeName: 'other' })), /is for node other/);
  });

  it('unsubscribes handlers, survives a throwing one, fires reconnect on demand', async () => {
    const { rt, events } = fixture();
    rt.onEvent(() => {
      throw new Error('boom');
    });
    let reconnects = 0;
    const off = rt.onReconnect(() => reconnects++);
    rt.simulateReconnect();
    off();
    rt.simulateReconnect();
    assert.equal(reconnects, 1);
    await rt.start(spec());
    assert.equal(events.length, 1);
  });

  it('holds 10,000 containers on 1,000 hollow nodes with one shared timer', async () => {
    const q = new DeadlineQueue(); // real timer
    const nodes = Array.from({ length: 1000 }, (_, i) => new SimRuntime({ nodeName: `hollow-${i}`, deadlines: q }));
    let died = 0;
    for (const n of nodes) n.onEvent((e) => e.type === 'die' && died++);
    const t0 = performance.now();
    const before = process.memoryUsage().heapUsed;
    await Promise.all(
      nodes.flatMap((n, i) =>
        Array.from({ length: 10 }, (_, j) => n.start(spec({ nodeName: n.nodeName, taskUid: `u-${i}-${j}`, sim: { runSeconds: 0.2 + (j % 5) * 0.01 } }))),
      ),
    );
    const startMs = performance.now() - t0;
    const heapMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    assert.equal(q.size, 10_000);
    // a bound that catches a per-start cost gone wrong, not a loaded machine (bench:agent measures it)
    assert.ok(startMs < 20_000, `10,000 starts took ${startMs.toFixed(0)} ms`);
    await new Promise<void>((res) => {
      const poll = setInterval(() => died === 10_000 && (clearInterval(poll), res()), 20);
    });
    assert.equal(q.size, 0);
    const exited = (await Promise.all(nodes.map((n) => n.list()))).flat().filter((c) => c.phase === 'exited');
    assert.equal(exited.length, 10_000);
    console.log(`# 10,000 sim containers: started in ${startMs.toFixed(0)} ms, ~${heapMiB.toFixed(1)} MiB heap, all exited on time`);
  });
});

describe('SimRuntime stats', () => {
  it('reports SYNTHETIC usage (a share of the request) while running, nothing once stopped', async () => {
    const { rt } = fixture();
    const id = await rt.start(spec({ cpus: 0.5, memMiB: 64 }));
    assert.deepEqual(await rt.stats(id), { cpus: 0.05, memBytes: 16 * 1024 * 1024 });
    await rt.stop(id, 0);
    assert.equal(await rt.stats(id), undefined);
    assert.equal(await rt.stats('nope'), undefined);
  });
});
