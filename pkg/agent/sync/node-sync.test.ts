import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeSync } from './node-sync.js';
import { FakeRuntime } from './fake-runtime.js';
import type { Assignment } from './assignments.js';
import type { StatusPatch } from './status-writer.js';
import type { Task, TaskStatus } from '../../api/types.js';
import { nopLogger } from '../../log/logger.js';
import { agentRuntimeOpDuration } from '../../metrics/metrics.js';
import { Readable } from 'node:stream';
import { secretRefsOf } from '../../api/secrets.js';
import { SecretNotFoundError, type MissingRef } from '../../secrets/resolve.js';
import { SecretKeyError } from '../../secrets/cipher.js';
import { RuntimeError } from '../runtime/runtime.js';

/** A status writer that applies patches at once and remembers each one. */
class MemoryWriter {
  readonly statuses = new Map<string, TaskStatus>();
  readonly patches: { uid: string; patch: StatusPatch }[] = [];
  readonly external = new Map<string, (s: TaskStatus | undefined) => void>();
  track(uid: string, _ns: string, _name: string, status: TaskStatus, _rev: string, onExternal: (s: TaskStatus | undefined) => void): void {
    if (!this.statuses.has(uid)) this.statuses.set(uid, status);
    this.external.set(uid, onExternal);
  }
  view(uid: string): TaskStatus | undefined {
    return this.statuses.get(uid);
  }
  update(uid: string, patch: StatusPatch): void {
    const cur = this.statuses.get(uid);
    if (!cur) return;
    this.patches.push({ uid, patch });
    this.statuses.set(uid, { ...cur, ...patch });
  }
  release(uid: string): void {
    this.statuses.delete(uid);
  }
  states(uid: string): string[] {
    return this.patches.filter((p) => p.uid === uid).map((p) => p.patch.state!);
  }
}

const assignment = (name: string, status: TaskStatus = { state: 'Bound', nodeName: 'n1' }, spec: Partial<Task['spec']> = {}): Assignment => ({
  node: 'n1',
  ns: 'default',
  name,
  task: {
    apiVersion: 'stowage/v1',
    kind: 'Task',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { image: 'img', resources: { cpus: 0.1, mem: 32, disk: 0 }, killGracePeriodSeconds: 3, ...spec },
    status,
  },
  status,
  statusRev: '10',
});

const until = async (what: string, f: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('NodeSync with a fake runtime', () => {
  let sync: NodeSync | undefined;
  afterEach(async () => {
    await sync?.stop();
  });
  const make = (rt: FakeRuntime, w: MemoryWriter) =>
    (sync = new NodeSync({ node: 'n1', runtime: rt, writer: w, log: nopLogger, spec: { host: '127.0.0.1', pidsLimit: 1024 }, resyncMs: 0 }));

  it('starts an assigned task: Starting, then Running with the container id', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    const starts = async () => (await agentRuntimeOpDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.op === 'start')?.value ?? 0;
    const startsBefore = await starts();
    s.put(assignment('a'));
    await until('running', () => w.view('uid-a')?.state === 'Running');
    assert.deepEqual(w.states('uid-a'), ['Starting', 'Running']);
    assert.equal((await starts()) - startsBefore, 1, 'the runtime start is timed');
    assert.equal(w.view('uid-a')?.containerId, 'c1');
    assert.deepEqual(rt.calls, ['start default/a']);
    assert.equal(rt.containers.get('c1')?.spec?.env.STOWAGE_TASK, 'a');
  });

  it('a start the engine does not answer (dockerd restarting) is retried however long it takes, never reported Failed', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = (sync = new NodeSync({ node: 'n1', runtime: rt, writer: w, log: nopLogger, spec: { host: '127.0.0.1', pidsLimit: 1024 }, resyncMs: 0, maxStartAttempts: 2 }));
    s.snapshot([]);
    await s.start();
    rt.down = true;
    s.put(assignment('a'));
    await until('3 failed starts', () => rt.calls.filter((c) => c === 'start default/a').length >= 3, 5000);
    assert.notEqual(w.view('uid-a')?.state, 'Failed');
    rt.down = false;
    await until('running once the engine answers', () => w.view('uid-a')?.state === 'Running', 15_000);
    assert.ok(!w.states('uid-a').includes('Failed'));
  });

  it('halt (cut off past the deadline): every live task Failed {Disconnected}, its container stopped with its kill grace and kept; nothing starts until resume', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('a'));
    await until('running', () => w.view('uid-a')?.state === 'Running');
    const id = w.view('uid-a')!.containerId!;
    assert.equal(s.halt('cut off'), 1);
    await until('stopped', () => rt.calls.includes(`stop ${id} 3`));
    assert.deepEqual([w.view('uid-a')?.state, w.view('uid-a')?.reason, w.view('uid-a')?.message], ['Failed', 'Disconnected', 'cut off']);
    s.put(assignment('b'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rt.calls.filter((c) => c.startsWith('start')).length, 1, 'nothing starts while halted');
    s.resume();
    await until('b running', () => w.view('uid-b')?.state === 'Running');
    assert.equal(w.view('uid-a')?.state, 'Failed', 'the stopped task stays ended');
    assert.equal(rt.calls.filter((c) => c.startsWith('start')).length, 2);
    assert.ok(!rt.calls.includes(`remove ${id}`), 'kept (its logs) while still assigned');
    s.remove('default', 'a');
    await until('removed once the assignment went', () => rt.calls.includes(`remove ${id}`));
  });

  it('reports exits: Succeeded on 0, Failed with the code, OOMKilled', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    for (const n of ['ok', 'bad', 'oom']) s.put(assignment(n));
    await until('3 running', () => ['ok', 'bad', 'oom'].every((n) => w.view(`uid-${n}`)?.state === 'Running'));
    rt.exit(w.view('uid-ok')!.containerId!, 0);
    rt.exit(w.view('uid-bad')!.containerId!, 3);
    rt.exit(w.view('uid-oom')!.containerId!, 137, { oomKilled: true });
    await until('all reported', () => ['ok', 'bad', 'oom'].every((n) => w.view(`uid-${n}`)?.finishedAt));
    assert.equal(w.view('uid-ok')?.state, 'Succeeded');
    assert.deepEqual([w.view('uid-bad')?.state, w.view('uid-bad')?.exitCode, w.view('uid-bad')?.reason], ['Failed', 3, 'Error']);
    assert.deepEqual([w.view('uid-oom')?.state, w.view('uid-oom')?.reason], ['Failed', 'OOMKilled']);
    // exited containers stay while assigned (logs); nothing restarts
    assert.equal(rt.containers.size, 3);
    assert.equal(rt.calls.filter((c) => c.startsWith('start')).length, 3);
  });

  it("corrects an exit reported Error 137 to OOMKilled when the 'oom' event comes after it; a kill stays Error", async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    for (const n of ['hog', 'killed']) s.put(assignment(n, undefined, { resources: { cpus: 0.1, mem: 16, disk: 0 } }));
    await until('2 running', () => ['hog', 'killed'].every((n) => w.view(`uid-${n}`)?.state === 'Running'));
    const hog = w.view('uid-hog')!.containerId!;
    rt.exit(hog, 137); // 'die' first, and inspect does not say OOMKilled
    rt.exit(w.view('uid-killed')!.containerId!, 137); // a docker kill
    await until('both reported', () => ['hog', 'killed'].every((n) => w.view(`uid-${n}`)?.state === 'Failed'));
    assert.equal(w.view('uid-hog')?.reason, 'Error', 'reported at once, without waiting for an oom that may never come');
    rt.lateOom(hog);
    await until('corrected', () => w.view('uid-hog')?.reason === 'OOMKilled');
    assert.deepEqual(
      (({ state, reason, exitCode, message, containerId }) => ({ state, reason, exitCode, message, containerId }))(w.view('uid-hog')!),
      { state: 'Failed', reason: 'OOMKilled', exitCode: 137, message: 'killed by the kernel: out of memory (limit of 16 MiB)', containerId: hog },
    );
    assert.equal(w.patches.filter((p) => p.uid === 'uid-hog' && p.patch.reason === 'OOMKilled').length, 1, 'corrected once');
    assert.deepEqual([w.view('uid-killed')?.state, w.view('uid-killed')?.reason, w.view('uid-killed')?.exitCode], ['Failed', 'Error', 137]);
  });

  it('fails a task whose image is missing with ImageNotFound, without retrying', async () => {
    const rt = new FakeRuntime();
    rt.missingImages.add('nope');
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('x', undefined, { image: 'nope' }));
    await until('failed', () => w.view('uid-x')?.state === 'Failed');
    assert.equal(w.view('uid-x')?.reason, 'ImageNotFound');
    assert.match(w.view('uid-x')!.message!, /image nope is not on this node/);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(rt.calls, ['start default/x']);
  });

  it('kills with the grace period, removes and reports Killed when the assignment goes', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('k'));
    await until('running', () => w.view('uid-k')?.state === 'Running');
    const id = w.view('uid-k')!.containerId!;
    s.remove('default', 'k');
    await until('removed', () => rt.containers.size === 0);
    assert.deepEqual(rt.calls.slice(1), [`stop ${id} 3`, `remove ${id}`]);
    assert.equal(w.patches.at(-1)?.patch.state, 'Killed');
    assert.equal(w.patches.at(-1)?.patch.exitCode, 143);
  });

  it('a drained kill (desiredState Killed with drainSeconds, through the assignment) keeps the container running for the drain, then stops it with grace', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('d'));
    await until('running', () => w.view('uid-d')?.state === 'Running');
    const id = w.view('uid-d')!.containerId!;
    // the services loop's kill rewrites the assignment with the killed spec (and no status)
    const killed = assignment('d', { state: 'Running', nodeName: 'n1', containerId: id }, { desiredState: 'Killed', drainSeconds: 0.4 });
    delete killed.task.status;
    const t0 = Date.now();
    s.put({ ...killed, statusRev: '0' });
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(rt.calls.slice(1), [], 'nothing stopped during the drain');
    assert.equal(w.view('uid-d')?.state, 'Running');
    await until('stopped', () => w.view('uid-d')?.state === 'Killed');
    assert.ok(Date.now() - t0 >= 400, `stopped after ${Date.now() - t0} ms, before the drain ended`);
    assert.deepEqual(rt.calls.slice(1), [`stop ${id} 3`], 'stopped with its grace, kept while assigned');
  });

  it('runs readiness checks (and only those) of a Running task that has them, until the task ends', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const calls: string[] = [];
    const supervisor = (kind: string) => ({
      ensure: (uid: string, id: string) => void calls.push(`${kind} ensure ${uid} ${id}`),
      stop: (uid: string) => void calls.push(`${kind} stop ${uid}`),
    });
    const s = (sync = new NodeSync({
      node: 'n1', runtime: rt, writer: w, log: nopLogger, spec: { host: '127.0.0.1', pidsLimit: 1024 }, resyncMs: 0,
      health: supervisor('health'), readiness: supervisor('readiness'),
    }));
    s.snapshot([]);
    await s.start();
    const rc = { protocol: 'HTTP' as const, port: 'http', path: '/ready', intervalSeconds: 1, timeoutSeconds: 0.5, httpStatusCodesForReady: [200] };
    s.put(assignment('r', undefined, { ports: [{ name: 'http' }], readinessChecks: [rc] }));
    await until('readiness ensured', () => calls.includes('readiness ensure uid-r c1'));
    assert.ok(!calls.includes('health ensure uid-r c1'), 'no health checks to run');
    rt.exit('c1', 1);
    await until('readiness stopped', () => w.view('uid-r')?.state === 'Failed' && calls.at(-1) === 'readiness stop uid-r');
  });

  it('adopts what runs after a restart, reports what exited meanwhile, removes what no task claims', async () => {
    const rt = new FakeRuntime();
    rt.seed({ id: 'keep', taskUid: 'uid-a', phase: 'running', startedAt: '2026-01-01T00:00:00Z' });
    rt.seed({ id: 'done', taskUid: 'uid-b', phase: 'exited', exitCode: 0, finishedAt: '2026-01-01T00:01:00Z' });
    rt.seed({ id: 'orphan', taskUid: 'uid-gone', phase: 'running' });
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([
      assignment('a', { state: 'Running', containerId: 'keep', nodeName: 'n1' }),
      assignment('b', { state: 'Running', containerId: 'done', nodeName: 'n1' }),
      assignment('c', { state: 'Succeeded', nodeName: 'n1' }),
    ]);
    await s.start();
    await until('orphan removed and b reported', () => !rt.containers.has('orphan') && w.view('uid-b')?.state === 'Succeeded');
    assert.deepEqual(rt.calls, ['stop orphan 10', 'remove orphan']);
    assert.equal(w.view('uid-a')?.state, 'Running');
    assert.deepEqual(w.states('uid-a'), [], 'an adopted task that says Running is not written again');
    assert.deepEqual(w.states('uid-c'), [], 'a terminal task is not started again');
    assert.equal(s.containerOf('default', 'a'), 'keep');
  });

  it('re-lists when the engine comes back and reports containers lost with it', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('a'));
    await until('running', () => w.view('uid-a')?.state === 'Running');
    rt.lose(w.view('uid-a')!.containerId!);
    rt.reconnect();
    await until('failed', () => w.view('uid-a')?.state === 'Failed');
    assert.equal(w.view('uid-a')?.reason, 'ContainerMissing');
    assert.equal(rt.calls.filter((c) => c.startsWith('start')).length, 1, 'no restart by the agent');
  });

  it('stops and removes the container when someone else sets Lost', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('l'));
    await until('running', () => w.view('uid-l')?.state === 'Running');
    w.statuses.set('uid-l', { ...w.view('uid-l')!, state: 'Lost' });
    w.external.get('uid-l')!(w.view('uid-l'));
    await until('removed', () => rt.containers.size === 0);
    assert.equal(w.view('uid-l')?.state, 'Lost');
  });
});

describe('NodeSync: secret env', () => {
  let sync: NodeSync | undefined;
  afterEach(async () => {
    await sync?.stop();
  });
  const VALUE = 's3cr3t-value-42';
  /** A resolver with one secret db {password: VALUE} in namespace default, recording what it was asked. */
  const secretEnv = {
    asked: [] as string[],
    async resolve(task: Task): Promise<Record<string, string>> {
      this.asked.push(task.metadata.name);
      const out: Record<string, string> = {};
      const missing: MissingRef[] = [];
      for (const r of secretRefsOf(task.spec.env)) {
        if (r.secret === 'sealed') throw new SecretKeyError('default/sealed/k: encrypted at rest (key id 1234abcd); start with --secrets-key naming that key');
        if (r.secret === 'db' && r.key === 'password') out[r.env] = VALUE;
        else missing.push({ ...r, reason: r.secret === 'db' ? 'KeyNotFound' : 'SecretNotFound' });
      }
      if (missing.length) throw new SecretNotFoundError(missing, 'default');
      return out;
    },
  };
  const events: { reason: string; message: string }[] = [];
  const recorder = {
    normal: () => undefined,
    warning: (_o: unknown, reason: string, message: string) => void events.push({ reason, message }),
    transitionEvent: () => assert.fail('no transition events here'),
  };
  const make = (rt: FakeRuntime, w: MemoryWriter) =>
    (sync = new NodeSync({ node: 'n1', runtime: rt, writer: w, log: nopLogger, spec: { host: '127.0.0.1', pidsLimit: 1024 }, resyncMs: 0, secretEnv, recorder }));

  it('gives the container the value of a {secret, key} env entry, resolved at start; the task keeps the reference', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    const a = assignment('a', undefined, { env: { PASSWORD: { secret: 'db', key: 'password' }, PLAIN: 'x' } });
    s.put(a);
    await until('running', () => w.view('uid-a')?.state === 'Running');
    const env = rt.containers.get('c1')!.spec!.env;
    assert.equal(env.PASSWORD, VALUE);
    assert.equal(env.PLAIN, 'x');
    assert.deepEqual(a.task.spec.env?.PASSWORD, { secret: 'db', key: 'password' });
    assert.ok(!JSON.stringify(w.patches).includes(VALUE), 'no status patch carries the value');
  });

  it('fails a task whose secret or key is missing with reason SecretNotFound and an event naming them, without a container', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('nokey', undefined, { env: { P: { secret: 'db', key: 'nope' } } }));
    s.put(assignment('nosecret', undefined, { env: { P: { secret: 'other', key: 'k' } } }));
    await until('failed', () => w.view('uid-nokey')?.state === 'Failed' && w.view('uid-nosecret')?.state === 'Failed');
    assert.deepEqual([w.view('uid-nokey')?.reason, w.view('uid-nokey')?.message], ['SecretNotFound', 'env P: secret "db" has no key "nope"']);
    assert.deepEqual([w.view('uid-nosecret')?.reason, w.view('uid-nosecret')?.message], ['SecretNotFound', 'env P: secret "other" not found in namespace "default"']);
    assert.deepEqual(events.filter((e) => e.reason === 'SecretNotFound').map((e) => e.message).sort(), ['env P: secret "db" has no key "nope"', 'env P: secret "other" not found in namespace "default"']);
    assert.deepEqual(rt.calls, [], 'no container was started');
  });

  it('fails a task whose secret this agent cannot open with reason SecretUnreadable, at once', async () => {
    const rt = new FakeRuntime();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('sealed', undefined, { env: { P: { secret: 'sealed', key: 'k' } } }));
    await until('failed', () => w.view('uid-sealed')?.state === 'Failed');
    assert.deepEqual([w.view('uid-sealed')?.reason, w.view('uid-sealed')?.message], ['SecretUnreadable', 'default/sealed/k: encrypted at rest (key id 1234abcd); start with --secrets-key naming that key']);
    assert.deepEqual(w.states('uid-sealed'), ['Starting', 'Failed'], 'not retried');
  });

  it("masks the value in a crashed container's output and in a failed start's message", async () => {
    class Echoing extends FakeRuntime {
      override async logs(): Promise<Readable> {
        return Readable.from([`connecting with ${VALUE}\nrefused\n`]);
      }
    }
    const rt = new Echoing();
    const w = new MemoryWriter();
    const s = make(rt, w);
    s.snapshot([]);
    await s.start();
    s.put(assignment('crash', undefined, { env: { PASSWORD: { secret: 'db', key: 'password' } } }));
    await until('running', () => w.view('uid-crash')?.state === 'Running');
    rt.exit(w.view('uid-crash')!.containerId!, 1);
    await until('failed', () => w.view('uid-crash')?.state === 'Failed');
    assert.equal(w.view('uid-crash')?.output, 'connecting with ***\nrefused');

    // an engine error that quotes the env: the stored message is masked
    rt.start = async (spec) => {
      throw new RuntimeError('InvalidSpec', `bad env ${JSON.stringify(spec.env)}`, false);
    };
    s.put(assignment('bad', undefined, { env: { PASSWORD: { secret: 'db', key: 'password' } } }));
    await until('failed', () => w.view('uid-bad')?.state === 'Failed');
    assert.match(w.view('uid-bad')!.message!, /"PASSWORD":"\*\*\*"/);
    assert.ok(!JSON.stringify(w.patches).includes(VALUE));
    assert.ok(!JSON.stringify(events).includes(VALUE));
  });
});
