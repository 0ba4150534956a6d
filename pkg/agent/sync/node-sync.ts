/**
 * One node's task sync: drives its runtime toward the tasks assigned to it
 * and reports what really happens.
 *
 *   assignments (snapshot/put/remove) ──┐
 *   runtime events (start/die/oom/...) ─┼─► queue of task uids ──► reconcile(uid)
 *   status conflicts (Lost, gone) ──────┤      (one worker per uid at a time)
 *   re-list (start, engine back, timer) ┘             │
 *                                    compute(desired, containers of uid)
 *                                                     │
 *                     runtime.start/stop/remove ◄─────┴─────► StatusWriter.update
 *
 * Level-triggered: every trigger just queues the uid; reconcile reads the
 * newest desired state and observed containers and does the difference, so
 * a missed event costs a re-list, never a wrong state.
 */
import type { Task, TaskStatus } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { agentRuntimeOps, agentTaskStart } from '../../metrics/metrics.js';
import { WorkQueue } from '../../workqueue/queue.js';
import { containerSpec, type SpecContext } from '../env.js';
import { RuntimeError, type ContainerInfo, type Runtime, type RuntimeEvent } from '../runtime/runtime.js';
import type { Assignment } from './assignments.js';
import { compute, DEFAULT_KILL_GRACE_SECONDS, exitPatch, type Action } from './compute.js';
import { LAST_OUTPUT_LINES, readLastOutput } from './last-output.js';
import { Limiter } from './limiter.js';
import type { StatusWriter } from './status-writer.js';

/** Health or readiness checks of running tasks (sync/health.ts, sync/readiness.ts); optional so tests can leave them out. */
export interface HealthSupervisor {
  /** The task runs in container `id`: make sure its checks run (idempotent). */
  ensure(uid: string, id: string, task: Task, status: TaskStatus): void;
  stop(uid: string): void;
}

export interface NodeSyncOptions {
  node: string;
  runtime: Runtime;
  writer: Pick<StatusWriter, 'track' | 'view' | 'update' | 'release'>;
  log: Logger;
  spec: Omit<SpecContext, 'nodeName'>;
  /** Events for humans (docker nodes; hollow nodes leave it out). */
  recorder?: Recorder;
  health?: HealthSupervisor;
  readiness?: HealthSupervisor;
  /** Reconciles at once (kills with grace run beside starts). */
  workers?: number;
  /** Container starts at once (the engine is quicker fed a few at a time). */
  parallelStarts?: number;
  /** Re-list the runtime this often as a safety net for missed events (0: never). */
  resyncMs?: number;
  /** Give up starting a task after this many retryable failures. */
  maxStartAttempts?: number;
}

interface TaskRecord {
  uid: string;
  ns: string;
  name: string;
  task: Task;
  assigned: boolean;
  /** When the agent first saw the assignment (ms): bound -> running latency. */
  seenAt: number;
  startFailures: number;
}

interface Observed extends ContainerInfo {
  /** Bumped on every change; a re-list that began earlier does not overwrite it. */
  seq: number;
}

export class NodeSync {
  readonly node: string;
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly byRef = new Map<string, string>();
  private readonly containers = new Map<string, Observed>();
  private readonly byUid = new Map<string, Set<string>>();
  private readonly queue: WorkQueue;
  private readonly starts: Limiter;
  private seq = 0;
  private unsubscribe: (() => void)[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private workers: Promise<void>[] = [];
  private started = false;
  private readonly log: Logger;

  constructor(private readonly o: NodeSyncOptions) {
    this.node = o.node;
    this.log = o.log.child({ node: o.node });
    this.queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 10_000 });
    this.starts = new Limiter(o.parallelStarts ?? Infinity);
  }

  // ---- inputs: assignments ----

  snapshot(items: Assignment[]): void {
    const uids = new Set<string>();
    for (const a of items) uids.add(this.put(a));
    for (const r of this.tasks.values()) {
      if (r.assigned && !uids.has(r.uid)) {
        r.assigned = false;
        this.queue.add(r.uid);
      }
    }
  }

  put(a: Assignment): string {
    const uid = a.task.metadata.uid ?? `${a.ns}/${a.name}`;
    const ref = `${a.ns}/${a.name}`;
    const prev = this.byRef.get(ref);
    if (prev !== undefined && prev !== uid) this.unassign(prev);
    let r = this.tasks.get(uid);
    if (r) {
      r.task = a.task;
      r.assigned = true;
    } else {
      r = { uid, ns: a.ns, name: a.name, task: a.task, assigned: true, seenAt: Date.now(), startFailures: 0 };
      this.tasks.set(uid, r);
    }
    this.byRef.set(ref, uid);
    this.o.writer.track(uid, a.ns, a.name, a.status, a.statusRev, (st) => this.onExternal(uid, st));
    this.queue.add(uid);
    return uid;
  }

  remove(ns: string, name: string): void {
    const uid = this.byRef.get(`${ns}/${name}`);
    if (uid !== undefined) this.unassign(uid);
  }

  private unassign(uid: string): void {
    const r = this.tasks.get(uid);
    if (!r) return;
    r.assigned = false;
    this.queue.add(uid);
  }

  /** The status changed under us: the task is gone, or someone (the leader) made it terminal. */
  private onExternal(uid: string, status: TaskStatus | undefined): void {
    if (status === undefined) this.unassign(uid);
    else this.queue.add(uid);
  }

  // ---- lifecycle ----

  /** List the node's containers, then reconcile everything known (adoption). */
  async start(): Promise<void> {
    const rt = this.o.runtime;
    this.unsubscribe.push(rt.onEvent((e) => this.onRuntimeEvent(e)));
    this.unsubscribe.push(rt.onReconnect(() => void this.relist('engine reconnected')));
    // Without the engine's list nothing can be adopted: wait for it (an engine restarting with the agent).
    for (let attempt = 0; ; attempt++) {
      try {
        await this.relist('start');
        break;
      } catch (e) {
        if (this.queue.isShutdown) return;
        if (attempt % 5 === 0) this.log.warn('listing containers failed; retrying', { error: errMsg(e), attempt });
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
    this.started = true;
    for (let i = 0; i < (this.o.workers ?? 64); i++) this.workers.push(this.work());
    const every = this.o.resyncMs ?? 30_000;
    if (every > 0) {
      this.resyncTimer = setInterval(() => void this.relist('resync').catch((e) => this.log.warn('resync failed', { error: errMsg(e) })), every);
      this.resyncTimer.unref();
    }
  }

  /** Stop reconciling; containers are left as they are (a restart adopts them). */
  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.queue.shutdown();
    for (const uid of this.tasks.keys()) this.stopChecks(uid);
    this.started = false;
  }

  /** Re-read the runtime's containers and reconcile every uid. */
  async relist(why: string): Promise<void> {
    const seq0 = ++this.seq;
    const list = await this.o.runtime.list();
    const seen = new Set<string>();
    for (const c of list) {
      seen.add(c.id);
      const cur = this.containers.get(c.id);
      if (!cur || cur.seq < seq0) this.setContainer({ ...cur, ...c, seq: seq0 });
    }
    for (const [id, c] of this.containers) if (!seen.has(id) && c.seq < seq0) this.deleteContainer(id);
    if (why !== 'resync') this.log.info('containers listed', { why, containers: list.length, tasks: this.tasks.size });
    for (const uid of this.tasks.keys()) this.queue.add(uid);
    for (const uid of this.byUid.keys()) this.queue.add(uid);
  }

  // ---- outputs for the agent (logs, gauges) ----

  /** The container holding a task's output: the one its status names, else the newest. */
  containerOf(ns: string, name: string): string | undefined {
    const uid = this.byRef.get(`${ns}/${name}`);
    if (uid === undefined) return undefined;
    const ids = [...(this.byUid.get(uid) ?? [])];
    const named = this.o.writer.view(uid)?.containerId;
    if (named && ids.includes(named)) return named;
    return ids.map((id) => this.containers.get(id)!).sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0]?.id;
  }

  /** Count of tasks by the state the agent believes they are in. */
  countStates(into: Map<string, number>): void {
    for (const r of this.tasks.values()) {
      if (!r.assigned) continue;
      const s = this.status(r).state;
      into.set(s, (into.get(s) ?? 0) + 1);
    }
  }

  // ---- the loop ----

  private async work(): Promise<void> {
    for (;;) {
      const uid = await this.queue.get();
      if (uid === undefined) return;
      try {
        await this.reconcile(uid);
        this.queue.forget(uid);
      } catch (e) {
        this.log.warn('task sync failed; retrying', { uid, error: errMsg(e), retries: this.queue.retries(uid) });
        this.queue.addRateLimited(uid);
      } finally {
        this.queue.done(uid);
      }
    }
  }

  private status(r: TaskRecord): TaskStatus {
    return this.o.writer.view(r.uid) ?? r.task.status ?? { state: 'Bound', nodeName: this.node };
  }

  private async reconcile(uid: string): Promise<void> {
    if (!this.started) return;
    const r = this.tasks.get(uid);
    const desired = r && { uid, task: r.task, status: this.status(r), assigned: r.assigned };
    const actions = compute(desired, this.containersOf(uid));
    for (const a of actions) await this.apply(uid, r, a);
    this.afterReconcile(uid, r);
  }

  private afterReconcile(uid: string, r: TaskRecord | undefined): void {
    const ids = this.byUid.get(uid);
    if (r && r.assigned) {
      const st = this.status(r);
      const c = st.containerId ? this.containers.get(st.containerId) : undefined;
      const running = st.state === 'Running' && c?.phase === 'running';
      if (running && r.task.spec.healthChecks?.length) this.o.health?.ensure(uid, c.id, r.task, st);
      else this.o.health?.stop(uid);
      if (running && r.task.spec.readinessChecks?.length) this.o.readiness?.ensure(uid, c.id, r.task, st);
      else this.o.readiness?.stop(uid);
      return;
    }
    this.stopChecks(uid);
    if (r && !ids?.size) {
      // Nothing left of a task no longer assigned here: forget it.
      this.tasks.delete(uid);
      if (this.byRef.get(`${r.ns}/${r.name}`) === uid) this.byRef.delete(`${r.ns}/${r.name}`);
      this.o.writer.release(uid);
    }
  }

  private stopChecks(uid: string): void {
    this.o.health?.stop(uid);
    this.o.readiness?.stop(uid);
  }

  private async apply(uid: string, r: TaskRecord | undefined, a: Action): Promise<void> {
    const now = () => new Date().toISOString();
    switch (a.kind) {
      case 'start':
        return this.startTask(r!);
      case 'adopt': {
        const c = this.containers.get(a.id)!;
        this.log.info('adopted running container', { task: ref(r!), container: a.id });
        this.o.writer.update(uid, { state: 'Running', containerId: a.id, ...(c.startedAt ? { startedAt: c.startedAt } : {}), stateBeforeUnreachable: undefined, unreachableSince: undefined });
        return;
      }
      case 'report': {
        const info = (await this.op('inspect', () => this.o.runtime.inspect(a.id))) ?? this.containers.get(a.id);
        if (!info) return;
        const c = this.setContainer({ ...this.containers.get(a.id), ...info, seq: ++this.seq });
        const patch = exitPatch(c, r?.task.spec.resources.mem, new Date());
        if (patch.state === 'Failed') {
          const output = await readLastOutput(() => this.o.runtime.logs(a.id, { follow: false, tail: LAST_OUTPUT_LINES }));
          if (output) patch.output = output;
        }
        this.o.writer.update(uid, patch);
        if (r && patch.reason === 'OOMKilled') this.o.recorder?.warning(r.task, 'OOMKilled', `container ${short(a.id)} ${patch.message}`);
        else if (r && patch.state === 'Failed') this.o.recorder?.warning(r.task, 'Failed', `container ${short(a.id)} ${patch.message}`);
        return;
      }
      case 'kill': {
        const grace = r?.task.spec.killGracePeriodSeconds ?? DEFAULT_KILL_GRACE_SECONDS;
        this.stopChecks(uid);
        await this.stopContainer(a.id, grace);
        const info = await this.op('inspect', () => this.o.runtime.inspect(a.id)).catch(() => undefined);
        const c = this.containers.get(a.id);
        if (c) this.setContainer({ ...c, ...info, phase: 'exited', killed: true, seq: ++this.seq });
        if (a.report) {
          this.o.writer.update(uid, {
            state: 'Killed',
            reason: 'Killed',
            message: r?.assigned ? 'killed on request (desiredState Killed)' : 'killed: the task is no longer assigned to this node',
            finishedAt: info?.finishedAt ?? now(),
            ...(info?.exitCode !== undefined ? { exitCode: info.exitCode } : {}),
          });
          if (r) this.o.recorder?.normal(r.task, 'Killed', `container ${short(a.id)} stopped (grace ${grace}s)`);
        }
        if (a.remove) await this.removeContainer(a.id);
        return;
      }
      case 'remove': {
        if (a.running) await this.stopContainer(a.id, r?.task.spec.killGracePeriodSeconds ?? DEFAULT_KILL_GRACE_SECONDS);
        this.log.info('removing container no task here claims', { uid, container: a.id });
        await this.removeContainer(a.id);
        return;
      }
      case 'reportKilled':
        this.o.writer.update(uid, { state: 'Killed', reason: 'Killed', message: 'killed before it started', finishedAt: now() });
        return;
      case 'reportMissing': {
        if (a.id) {
          const info = await this.op('inspect', () => this.o.runtime.inspect(a.id!));
          if (info) {
            // The list missed it (a race with a re-list): look again.
            this.setContainer({ ...info, seq: ++this.seq });
            this.queue.add(uid);
            return;
          }
        }
        this.o.writer.update(uid, {
          state: 'Failed',
          reason: 'ContainerMissing',
          message: `container ${a.id ? short(a.id) + ' ' : ''}is gone (removed outside Stowage, or lost with the container engine)`,
          finishedAt: now(),
        });
        if (r) this.o.recorder?.warning(r.task, 'ContainerMissing', 'the task container disappeared');
        return;
      }
    }
  }

  private async startTask(r: TaskRecord): Promise<void> {
    const spec = containerSpec(r.task, { nodeName: this.node, ...this.o.spec });
    this.o.writer.update(r.uid, { state: 'Starting' });
    let id: string;
    try {
      id = await this.starts.run(() => this.op('start', () => this.o.runtime.start(spec)));
    } catch (e) {
      return this.startFailed(r, e);
    }
    r.startFailures = 0;
    const at = new Date().toISOString();
    const c = this.containers.get(id) ?? this.setContainer({ id, taskUid: r.uid, taskRef: ref(r), phase: 'running', startedAt: at, seq: ++this.seq });
    this.o.writer.update(r.uid, { state: 'Running', containerId: id, startedAt: c.startedAt ?? at });
    agentTaskStart.observe((Date.now() - r.seenAt) / 1000);
    this.o.recorder?.normal(r.task, 'Started', `container ${short(id)} started on ${this.node}`);
    // A container that already exited (an event came first) is reported by the next reconcile.
    if (c.phase === 'exited') this.queue.add(r.uid);
  }

  private async startFailed(r: TaskRecord, e: unknown): Promise<void> {
    const retryable = !(e instanceof RuntimeError) || e.retryable;
    r.startFailures++;
    if (retryable && r.startFailures < (this.o.maxStartAttempts ?? 5)) {
      // A half-created container may exist: look before trying again.
      await this.relist('start failed').catch(() => undefined);
      throw e;
    }
    const reason = e instanceof RuntimeError ? e.reason : 'StartFailed';
    const message = errMsg(e);
    this.log.warn('task failed to start', { task: ref(r), reason, error: message });
    this.o.writer.update(r.uid, { state: 'Failed', reason, message, finishedAt: new Date().toISOString() });
    this.o.recorder?.warning(r.task, reason, message);
  }

  private async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.op('stop', () => this.o.runtime.stop(id, graceSeconds));
    } catch (e) {
      if (!(await this.gone(id))) throw e;
    }
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      await this.op('remove', () => this.o.runtime.remove(id));
    } catch (e) {
      if (!(await this.gone(id))) throw e;
    }
    this.deleteContainer(id);
  }

  /** True (and forgotten) when the engine no longer has the container. */
  private async gone(id: string): Promise<boolean> {
    const info = await this.o.runtime.inspect(id).catch(() => null);
    if (info !== undefined) return false;
    this.deleteContainer(id);
    return true;
  }

  private onRuntimeEvent(e: RuntimeEvent): void {
    const cur = this.containers.get(e.id);
    const base: ContainerInfo = cur ?? { id: e.id, taskUid: e.taskUid, taskRef: '', phase: 'created' };
    switch (e.type) {
      case 'start':
        this.setContainer({ ...base, phase: 'running', startedAt: e.time, seq: ++this.seq });
        break;
      case 'die':
        this.setContainer({ ...base, phase: 'exited', finishedAt: e.time, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}), seq: ++this.seq });
        break;
      case 'oom':
        this.setContainer({ ...base, oomKilled: true, seq: ++this.seq });
        break;
      case 'destroy':
        this.deleteContainer(e.id);
        ++this.seq;
        break;
    }
    this.queue.add(e.taskUid);
  }

  private containersOf(uid: string): ContainerInfo[] {
    const ids = this.byUid.get(uid);
    return ids ? [...ids].map((id) => this.containers.get(id)!) : [];
  }

  private setContainer(c: Observed): Observed {
    this.containers.set(c.id, c);
    let ids = this.byUid.get(c.taskUid);
    if (!ids) this.byUid.set(c.taskUid, (ids = new Set()));
    ids.add(c.id);
    return c;
  }

  private deleteContainer(id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    this.containers.delete(id);
    const ids = this.byUid.get(c.taskUid);
    ids?.delete(id);
    if (ids && ids.size === 0) this.byUid.delete(c.taskUid);
  }

  /** A runtime call, counted by operation and result. */
  private async op<T>(name: string, f: () => Promise<T>): Promise<T> {
    try {
      const v = await f();
      agentRuntimeOps.inc({ op: name, result: 'ok' });
      return v;
    } catch (e) {
      agentRuntimeOps.inc({ op: name, result: 'error' });
      throw e;
    }
  }
}

const ref = (r: TaskRecord) => `${r.ns}/${r.name}`;
const short = (id: string) => id.slice(0, 12);
