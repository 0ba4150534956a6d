/**
 * One node's task sync: drives its runtime toward the tasks assigned to it
 * and reports what really happens.
 *
 *   assignments (snapshot/put/remove) ──┐
 *   runtime events (start/die/oom/...) ─┼─► queue of task uids ──► reconcile(uid)
 *   status conflicts (Lost, gone) ──────┤      (one worker per uid at a time)
 *   re-list (start, engine back, timer) ┘             │
 *                         compute(desired, ObservedContainers.of(uid))  (containers.ts)
 *                                                     │
 *                                   ActionExecutor.run (executor.ts):
 *                     runtime.start/stop/remove ◄─────┴─────► StatusWriter.update
 *
 * Level-triggered: every trigger just queues the uid; reconcile reads the
 * newest desired state and observed containers and does the difference, so
 * a missed event costs a re-list, never a wrong state. This file is the
 * runner: the inputs, the queue and its workers, and the checks that follow
 * a reconcile.
 */
import { TERMINAL_STATES, type Task, type TaskStatus } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { Limiter } from '../../util/limiter.js';
import { WorkQueue } from '../../workqueue/queue.js';
import { runWorkers } from '../../workqueue/workers.js';
import type { SpecContext } from '../env.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Assignment } from './assignments.js';
import { compute, DEFAULT_KILL_GRACE_SECONDS } from './compute.js';
import { ObservedContainers } from './containers.js';
import { ActionExecutor, type TaskRecord } from './executor.js';
import type { SecretEnv } from '../../secrets/resolve.js';
import type { StatusWriter } from './status-writer.js';
import { retry } from '../../util/backoff.js';
import { traceIdOf, traceNow } from '../../api/trace.js';
import { warnUnlessEtcdDown } from '../../store/etcd-health.js';

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
  /** Resolves tasks' {secret, key} env at container start (absent: such tasks fail to start). */
  secretEnv?: SecretEnv;
}

export class NodeSync {
  readonly node: string;
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly byRef = new Map<string, string>();
  private readonly containers = new ObservedContainers();
  private readonly queue: WorkQueue;
  private readonly executor: ActionExecutor;
  private unsubscribe: (() => void)[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private started = false;
  /** Cut off past the deadline (disconnect-guard.ts): nothing starts until a heartbeat lands. */
  private halted = false;
  private readonly log: Logger;

  constructor(private readonly o: NodeSyncOptions) {
    this.node = o.node;
    this.log = o.log.child({ node: o.node });
    this.queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 10_000 });
    this.executor = new ActionExecutor({
      node: o.node,
      runtime: o.runtime,
      writer: o.writer,
      log: this.log,
      spec: o.spec,
      ...(o.recorder ? { recorder: o.recorder } : {}),
      containers: this.containers,
      starts: new Limiter(o.parallelStarts ?? Infinity),
      maxStartAttempts: o.maxStartAttempts ?? 5,
      requeue: (uid) => this.queue.add(uid),
      requeueAfter: (uid, ms) => this.queue.addAfter(uid, ms),
      relist: (why) => this.relist(why),
      stopChecks: (uid) => this.stopChecks(uid),
      ...(o.secretEnv ? { secretEnv: o.secretEnv } : {}),
    });
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
      r = { uid, ns: a.ns, name: a.name, task: a.task, assigned: true, seenAt: Date.now(), startFailures: 0, ...(traceIdOf(a.task) ? { tracedAt: traceNow() } : {}) };
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
    this.unsubscribe.push(
      rt.onEvent((e) => {
        this.containers.observe(e);
        this.queue.add(e.taskUid);
      }),
    );
    this.unsubscribe.push(rt.onReconnect(() => void this.relist('engine reconnected')));
    // Without the engine's list nothing can be adopted: wait for it (an engine restarting with the agent).
    const listed = await retry(() => this.relist('start').then(() => true), {
      stopped: () => this.queue.isShutdown,
      onError: (e, _ms, n) => {
        if (n % 5 === 1) this.log.warn('listing containers failed; retrying', { error: errMsg(e), attempt: n });
      },
    });
    if (!listed) return;
    this.started = true;
    void runWorkers(this.queue, {
      workers: this.o.workers ?? 64,
      handle: (uid) => this.reconcile(uid),
      onError: (uid, e) => {
        const r = this.tasks.get(uid);
        warnUnlessEtcdDown(this.log, 'task sync failed; retrying', { ...(r ? { task: `${r.ns}/${r.name}` } : {}), uid, error: errMsg(e), retries: this.queue.retries(uid) }, e);
        return true;
      },
    });
    const every = this.o.resyncMs ?? 30_000;
    if (every > 0) {
      this.resyncTimer = setInterval(() => void this.relist('resync').catch((e) => warnUnlessEtcdDown(this.log, 'resync failed', { error: errMsg(e) }, e)), every);
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
    const listed = await this.containers.relist(() => this.o.runtime.list());
    if (why !== 'resync') this.log.info('containers listed', { why, containers: listed, tasks: this.tasks.size });
    for (const uid of this.tasks.keys()) this.queue.add(uid);
    for (const uid of this.containers.uids()) this.queue.add(uid);
  }

  /**
   * Cut off past the deadline: every hosted task that has not ended is
   * reported Failed {reason Disconnected} (written once the servers are
   * reached; dropped if they made it Lost meanwhile) and its container
   * stopped with its kill grace by the workers (compute: terminal status,
   * running container). Nothing starts until resume(). Returns how many.
   */
  halt(message: string): number {
    this.halted = true;
    const finishedAt = new Date().toISOString();
    let n = 0;
    for (const r of this.tasks.values()) {
      if (!r.assigned) continue;
      const st = this.status(r);
      const state = st.state === 'Unreachable' ? (st.stateBeforeUnreachable ?? 'Running') : st.state;
      if (TERMINAL_STATES.has(state)) continue;
      this.o.writer.update(r.uid, { state: 'Failed', reason: 'Disconnected', message, finishedAt, stateBeforeUnreachable: undefined, unreachableSince: undefined });
      this.queue.add(r.uid);
      n++;
    }
    return n;
  }

  /** A heartbeat landed after halt(): tasks assigned from now on start again. */
  resume(): void {
    if (!this.halted) return;
    this.halted = false;
    for (const uid of this.tasks.keys()) this.queue.add(uid);
  }

  // ---- outputs for the agent (logs, gauges) ----

  /** The container holding a task's output: the one its status names, else the newest. */
  containerOf(ns: string, name: string): string | undefined {
    const uid = this.byRef.get(`${ns}/${name}`);
    if (uid === undefined) return undefined;
    return this.containers.outputOf(uid, this.o.writer.view(uid)?.containerId);
  }

  /** Assigned tasks the agent believes Running, with their container: what the usage sampler samples. */
  running(): { ns: string; name: string; containerId: string }[] {
    const out: { ns: string; name: string; containerId: string }[] = [];
    for (const r of this.tasks.values()) {
      if (!r.assigned) continue;
      const st = this.status(r);
      if (st.state === 'Running' && st.containerId) out.push({ ns: r.ns, name: r.name, containerId: st.containerId });
    }
    return out;
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

  private status(r: TaskRecord): TaskStatus {
    return this.o.writer.view(r.uid) ?? r.task.status ?? { state: 'Bound', nodeName: this.node };
  }

  private async reconcile(uid: string): Promise<void> {
    if (!this.started) return;
    const r = this.tasks.get(uid);
    const desired = r && { uid, task: r.task, status: this.status(r), assigned: r.assigned, drainLeftMs: this.drainLeft(r) };
    let actions = compute(desired, this.containers.of(uid));
    if (this.halted) actions = actions.filter((a) => a.kind !== 'start' && a.kind !== 'adopt');
    for (const a of actions) await this.executor.run(uid, r, a);
    this.afterReconcile(uid, r);
  }

  /**
   * A drained kill (the services loop's: desiredState Killed with drainSeconds, through the
   * assignment): the ms left before its container is stopped. The drain counts from when this
   * agent first saw the kill (an agent restarted meanwhile drains again in full).
   */
  private drainLeft(r: TaskRecord): number {
    const secs = r.task.spec.drainSeconds ?? 0;
    if (!r.assigned || r.task.spec.desiredState !== 'Killed' || !(secs > 0)) return 0;
    if (r.drainUntil === undefined) {
      r.drainUntil = Date.now() + secs * 1000;
      const st = this.status(r);
      if (st.state === 'Running') {
        this.log.info('draining task before stopping it', { task: `${r.ns}/${r.name}`, drainSeconds: secs });
        this.o.recorder?.normal(r.task, 'Draining', `task ${r.name} is out of its endpoints; its container keeps running ${secs}s so open connections finish, then it is stopped (grace ${r.task.spec.killGracePeriodSeconds ?? DEFAULT_KILL_GRACE_SECONDS}s)`);
      }
    }
    return Math.max(0, r.drainUntil - Date.now());
  }

  private afterReconcile(uid: string, r: TaskRecord | undefined): void {
    if (r && r.assigned) {
      const st = this.status(r);
      const c = st.containerId ? this.containers.get(st.containerId) : undefined;
      // a task being killed (draining) serves no new traffic: its checks stop
      const running = st.state === 'Running' && c?.phase === 'running' && r.task.spec.desiredState !== 'Killed';
      if (running && r.task.spec.healthChecks?.length) this.o.health?.ensure(uid, c.id, r.task, st);
      else this.o.health?.stop(uid);
      if (running && r.task.spec.readinessChecks?.length) this.o.readiness?.ensure(uid, c.id, r.task, st);
      else this.o.readiness?.stop(uid);
      return;
    }
    this.stopChecks(uid);
    if (r && this.containers.count(uid) === 0) {
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
}
