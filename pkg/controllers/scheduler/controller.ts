/**
 * The scheduler loop: allocator and placement in one cycle.
 *
 *   node/task/namespace changes ──► snapshot updates ──► enqueue "cycle"
 *   cycle: pending tasks ──► schedule() (weighted DRF ─► quota ─► place)
 *            ├─ placements ──► bind: one fenced txn per batch of nodes,
 *            │                 CAS on each node status and task status
 *            │                 (lost race: the nodes whose compares held go
 *            │                 again at once; the others forget, re-read,
 *            │                 next cycle);
 *            │                 committed: a Scheduled event per task, or per
 *            │                 owner in a big cycle
 *            └─ waiting    ──► status.pendingReason + an Event, when changed
 *
 * Admission and placement happen in the same pass (a task is admitted by
 * being placed), so tasks go from Pending straight to Bound; there is no
 * stored Admitted state to fall out of sync.
 */
import { isApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { Namespace, Node, Task, TaskAllowance, TaskStatus } from '../../api/types.js';
import { allowanceFor, asksForMore } from '../../api/security.js';
import type { Recorder } from '../../events/recorder.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer, InformerEvent } from '../../informer/informer.js';
import { errMsg, type Logger } from '../../log/logger.js';
import * as metrics from '../../metrics/metrics.js';
import { ClusterSnapshot, requestFromTask, schedule, type Placement, type TaskRequest, type Waiting } from '../../scheduler/index.js';
import { addBindings, rebaseBinding } from '../../store/binding.js';
import { addMarks, marksOf, traceIdOf, traceNow, type TraceMarks } from '../../api/trace.js';
import { Store, type Stored } from '../../store/store.js';
import { commitEach } from '../batch.js';
import { Limiter } from '../../util/limiter.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { isPending, MAX_TASK_EVENTS_PER_CYCLE, planBatches, scheduledEvents, waitingChanged, type NodeBatch } from './compute.js';

const TASK = lookupKind('Task')!;
const NODE = lookupKind('Node')!;
const CYCLE = 'cycle';
/** Placements decided per cycle; the rest wait for the next one. */
const MAX_PLACEMENTS = 4000;
/** Binding transactions in flight at once (they touch disjoint nodes). */
const COMMIT_CONCURRENCY = 16;
/** Times a batch's parts that can go again at once (every compare held, or only a node's usage moved) are resent. */
const RESENDS = 2;
/** Pending-reason events recorded per cycle, so a full cluster doesn't flood etcd. */
const MAX_EVENTS_PER_CYCLE = 20;

export interface SchedulerDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  recorder: Recorder;
  seed?: number;
}

export class SchedulerController extends Controller {
  private nodes!: Informer<Node>;
  private tasks!: Informer<Task>;
  private namespaces!: Informer<Namespace>;
  private snapshot!: ClusterSnapshot;
  /** The last commit in flight per node: the node's next one waits for it. */
  private readonly nodeTail = new Map<string, Promise<void>>();
  /** Binding transactions in flight. */
  private readonly commits = new Limiter(COMMIT_CONCURRENCY);
  private readonly requests = new WeakMap<Task, TaskRequest>();
  /** Keys of the tasks waiting for a node and not placed yet, kept as the informer reports changes. */
  private readonly pending = new Set<string>();
  /**
   * Keys of the tasks placed by a cycle whose binding is on its way: out of
   * `pending`, so a cycle walks only what it may place (a cycle over 100,000
   * tasks, most of them in flight, cost more than the placing); back in it
   * when their binding fails.
   */
  private readonly placing = new Set<string>();
  /** Node statuses this loop wrote that its informer may not have delivered yet. */
  private readonly written = new Map<string, Stored<Node>>();
  /**
   * Task statuses a failed binding read back that the informer may not have
   * delivered yet (a pending reason written meanwhile): what its binding,
   * sent again, compares.
   */
  private readonly readBack = new Map<string, Stored<Task>>();
  /** Traced pending tasks (api/trace.ts): when each was first seen Pending. */
  private readonly traceSeen = new Map<string, number>();
  /** The current cycle's marks, for traced tasks it binds. */
  private cycleMarks: TraceMarks = {};

  constructor(private readonly d: SchedulerDeps) {
    super('scheduler', d.log);
  }

  protected async setup(): Promise<void> {
    this.nodes = await this.d.informers.get<Node>('Node');
    this.tasks = await this.d.informers.get<Task>('Task');
    this.namespaces = await this.d.informers.get<Namespace>('Namespace');
    this.snapshot = ClusterSnapshot.from(
      this.nodes.list().map((s) => s.object),
      this.tasks.list().map((s) => s.object),
      { seed: this.d.seed ?? Date.now() % 2147483647 },
    );
    this.written.clear();
    this.readBack.clear();
    this.pending.clear();
    this.placing.clear();
    for (const t of this.tasks.list()) if (isPending(t.object)) this.pending.add(key(t));
    this.watch(this.nodes, (e) => this.onNode(e));
    this.watch(this.tasks, (e) => this.onTask(e));
    this.watch(this.namespaces, () => CYCLE);
    this.enqueue(CYCLE);
  }

  private onNode(e: InformerEvent<Node>): string | undefined {
    if (e.type === 'DELETED') {
      this.snapshot.removeNode(e.stored.object.metadata.name);
      this.written.delete(e.stored.object.metadata.name);
    } else {
      const mine = this.written.get(e.stored.object.metadata.name);
      // the echo of our own binding: the snapshot has it already, and a cycle would find nothing new
      const echo = mine !== undefined && e.type === 'MODIFIED' && mine.statusRev === e.stored.statusRev && e.old?.specRev === e.stored.specRev;
      if (mine && BigInt(mine.statusRev) <= BigInt(e.stored.statusRev)) this.written.delete(e.stored.object.metadata.name);
      this.snapshot.setNode(this.latestNode(e.stored).object);
      if (echo) return undefined;
    }
    return CYCLE;
  }

  private onTask(e: InformerEvent<Task>): string | undefined {
    const t = e.stored.object;
    const k = key(e.stored);
    const read = this.readBack.get(k);
    if (read && (e.type === 'DELETED' || BigInt(read.statusRev) <= BigInt(e.stored.statusRev))) this.readBack.delete(k);
    if (e.type === 'DELETED') {
      this.pending.delete(k);
      this.traceSeen.delete(k);
      this.placing.delete(k);
      this.snapshot.removeTask(k);
      return CYCLE;
    }
    this.snapshot.setTask(t);
    if (!isPending(t)) {
      this.pending.delete(k);
      this.traceSeen.delete(k);
      this.placing.delete(k);
      return undefined;
    }
    if (this.placing.has(k)) return undefined;
    this.pending.add(k);
    if (traceIdOf(t) && !this.traceSeen.has(k)) this.traceSeen.set(k, traceNow());
    return CYCLE;
  }

  /** The newer of what the informer holds and what a failed binding read back. */
  private latestTask(k: string): Stored<Task> | undefined {
    const s = this.tasks.get(k);
    const read = this.readBack.get(k);
    return s && read && BigInt(read.statusRev) > BigInt(s.statusRev) ? read : s;
  }

  /** The newer of what the informer holds and what this loop last wrote. */
  private latestNode(s: Stored<Node>): Stored<Node> {
    const mine = this.written.get(s.object.metadata.name);
    return mine && BigInt(mine.statusRev) > BigInt(s.statusRev) ? mine : s;
  }

  protected async reconcile(_key: string, log: Logger): Promise<ReconcileResult | void> {
    const began = traceNow();
    const pending: Stored<Task>[] = [];
    for (const k of this.pending) {
      const s = this.tasks.get(k);
      if (s && isPending(s.object)) pending.push(s);
      else this.pending.delete(k);
    }
    if (pending.length === 0) return;
    const t0 = performance.now();
    const result = schedule(
      this.snapshot,
      pending.map((s) => this.requestOf(s.object)),
      this.namespaces.list().map((s) => s.object),
      { maxPlacements: MAX_PLACEMENTS },
    );
    const ms = performance.now() - t0;
    this.cycleMarks = { 'scheduler.began': began, 'scheduler.computed': traceNow() };
    metrics.schedulerCycleDuration.observe(ms / 1000);
    for (const w of result.waiting) metrics.schedulerPlacementFailures.inc({ reason: w.reason });
    log.debug('cycle decided', { pending: pending.length, placements: result.placements.length, waiting: result.waiting.length, deferred: result.deferred.length, ms: Math.round(ms) });
    for (const p of result.placements) {
      this.pending.delete(p.taskKey);
      this.placing.add(p.taskKey);
    }
    await this.bind(result.placements, log, this.cycleMarks);
    await this.recordWaiting(result.waiting, log);
    metrics.schedulerPending.set(result.waiting.length + result.deferred.length);
    if (result.deferred.length > 0) return { requeueAfter: 0 };
  }

  /** Tasks are immutable in the cache: their request is computed once. */
  private requestOf(t: Task): TaskRequest {
    let r = this.requests.get(t);
    if (!r) this.requests.set(t, (r = requestFromTask(t)));
    return r;
  }

  /**
   * Commit placements without waiting for them: the next cycle is decided
   * while these bindings are on their way (their tasks hold their capacity
   * in the snapshot meanwhile). Several nodes share a transaction; a node's
   * next transaction waits for its previous one, whose revision it compares.
   * Resolves once everything is sent, keeping at most COMMIT_CONCURRENCY
   * transactions out.
   */
  private async bind(placements: Placement[], log: Logger, marks: TraceMarks): Promise<void> {
    const failed = new Set<string>();
    const perTask = placements.length <= MAX_TASK_EVENTS_PER_CYCLE;
    // one compare of each transaction's budget is the fence's
    for (const batch of planBatches(placements, this.d.store.maxTxnOps - 1)) {
      const release = await this.commits.acquire();
      const nodes = batch.map((b) => b.node);
      const before = nodes.map((n) => this.nodeTail.get(n)).filter((p): p is Promise<void> => p !== undefined);
      const done = Promise.all(before)
        .then(() => this.commitBatch(batch, failed, perTask, log, marks))
        .then(
          (n) => {
            metrics.schedulerPlacements.inc({ result: 'bound' }, n);
            // what did not stick was forgotten: place it again
            if (n < batch.reduce((sum, b) => sum + b.placements.length, 0)) this.enqueue(CYCLE, 50);
          },
          (e) => {
            // Fenced: the term is over and the loop stops. Refused: etcd will never take it (a bug).
            for (const b of batch) {
              const meta = { node: b.node, tasks: b.placements.map((p) => p.taskKey), error: errMsg(e) };
              if (isApiError(e, 'Refused')) log.error('binding refused by etcd; not retrying', meta);
              else log.warn('binding refused', meta);
            }
            for (const b of batch) for (const p of b.placements) this.unplace(p.taskKey);
          },
        )
        .finally(release);
      for (const n of nodes) this.nodeTail.set(n, done);
      void done.then(() => {
        for (const n of nodes) if (this.nodeTail.get(n) === done) this.nodeTail.delete(n);
      });
    }
  }

  /** A placement that will not be bound: its capacity back, the task (if still waiting) placeable again. */
  private unplace(k: string): void {
    this.snapshot.forget(k);
    if (!this.placing.delete(k)) return;
    const t = this.tasks.get(k);
    if (t && isPending(t.object)) this.pending.add(k);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await Promise.all([...this.nodeTail.values()]);
  }

  /** What the task's namespace allows of the capabilities and host paths it asks for (none asked: nothing stamped). */
  private allowance(t: Task): { allowed?: TaskAllowance } {
    if (!asksForMore(t.spec)) return {};
    const ns = this.namespaces.get(`_/${t.metadata.namespace ?? 'default'}`)?.object;
    return { allowed: allowanceFor(t.spec, ns?.spec) };
  }

  /** A traced task's status gets this cycle's marks and the moment its binding is sent. */
  private traceBinding(t: Stored<Task>, marks: TraceMarks): void {
    const task = t.object;
    if (!traceIdOf(task)) return;
    const k = key(t);
    // kept until the task is bound (onTask): a binding that loses its race is sent again with it
    const seen = this.traceSeen.get(k);
    const more = { ...(seen !== undefined ? { 'scheduler.seen': seen } : {}), ...marks, 'scheduler.bind': traceNow() };
    t.object = { ...task, status: { ...(task.status ?? { state: 'Pending' }), trace: addMarks(marksOf(task), more) } };
  }

  /**
   * Bind a batch of nodes in one transaction. When it fails, the nodes
   * whose compares all held, or whose status moved only by its usage (the
   * failure branch reads every compared key back), are sent again at once
   * (up to RESENDS times); the others are placed again.
   */
  private async commitBatch(batch: NodeBatch[], failed: Set<string>, perTask: boolean, log: Logger, marks: TraceMarks, resends = RESENDS): Promise<number> {
    const txn = this.d.store.txn(this.ctx.fence());
    const plan: { node: Stored<Node>; status: Node['status']; tasks: Stored<Task>[] }[] = [];
    for (const { node: nodeName, placements } of batch) {
      const cached = this.nodes.get(`_/${nodeName}`);
      const tasks: Stored<Task>[] = [];
      for (const p of placements) {
        const t = this.latestTask(p.taskKey);
        // the task may have been deleted or killed since the cycle began; a
        // failed earlier transaction on this node took its placements back
        if (cached && t && isPending(t.object) && !failed.has(nodeName)) tasks.push({ ...t });
        else this.unplace(p.taskKey);
      }
      if (!cached || tasks.length === 0) continue;
      const node = this.latestNode(cached);
      const portsOf = new Map(placements.map((p) => [p.taskKey, p.ports]));
      for (const t of tasks) this.traceBinding(t, marks);
      const status = addBindings(txn, node, tasks.map((task) => ({ task, ports: portsOf.get(key(task)) ?? {}, ...this.allowance(task.object) })));
      plan.push({ node, status, tasks });
    }
    if (plan.length === 0) return 0;
    const n = plan.reduce((sum, p) => sum + p.tasks.length, 0);
    let lost = plan;
    let again = 0;
    try {
      const r = await txn.commit();
      if (r.succeeded) {
        for (const p of plan) {
          this.written.set(p.node.object.metadata.name, { object: { ...p.node.object, status: p.status }, specRev: p.node.specRev, statusRev: r.revision });
        }
        const bound = plan.map((p) => ({ node: p.node.object.metadata.name, tasks: p.tasks.map((t) => t.object) }));
        for (const b of bound) for (const t of b.tasks) log.debug('task bound', { task: `${t.metadata.namespace}/${t.metadata.name}`, node: b.node });
        for (const e of scheduledEvents(bound, perTask)) this.d.recorder.normal(e.about, 'Scheduled', e.message);
        return n;
      }
      const held = new Set<string>();
      if (resends > 0) {
        for (const p of plan) {
          const rebased = rebaseBinding(r.current, p.node, p.tasks);
          if (!rebased) continue;
          const name = p.node.object.metadata.name;
          held.add(name);
          // what the next try compares (latestNode, latestTask), until the informer shows it too
          if (rebased.node !== p.node && BigInt(rebased.node.statusRev) > BigInt(this.nodes.get(`_/${name}`)?.statusRev ?? '0')) this.written.set(name, rebased.node);
          for (const t of rebased.tasks) {
            const k = key(t);
            if (BigInt(t.statusRev) > BigInt(this.tasks.get(k)?.statusRev ?? '0')) this.readBack.set(k, t);
          }
        }
      }
      lost = plan.filter((p) => !held.has(p.node.object.metadata.name));
      metrics.schedulerPlacements.inc({ result: 'conflict' }, lost.reduce((sum, p) => sum + p.tasks.length, 0));
      for (const p of lost) log.debug('binding lost a race; placing again', { node: p.node.object.metadata.name, tasks: p.tasks.map(key) });
      if (held.size > 0) again = await this.commitBatch(batch.filter((b) => held.has(b.node)), failed, perTask, log, marks, resends - 1);
    } catch (e) {
      if (isApiError(e, 'Fenced') || isApiError(e, 'Refused')) throw e;
      for (const p of plan) log.warn('binding failed; will place again', { node: p.node.object.metadata.name, tasks: p.tasks.map(key), error: errMsg(e) });
    }
    // Lost a race (or etcd said no): give the capacity back and re-read those nodes.
    for (const p of lost) {
      failed.add(p.node.object.metadata.name);
      for (const t of p.tasks) this.unplace(key(t));
      const name = p.node.object.metadata.name;
      this.written.delete(name);
      const fresh = await this.d.store.get<Node>(NODE, undefined, name).catch(() => undefined);
      // what was read is what the next binding compares, until the informer shows it too
      // (a cache behind the store would make every next binding on the node lose again)
      if (fresh && BigInt(fresh.statusRev) > BigInt(this.nodes.get(`_/${name}`)?.statusRev ?? '0')) this.written.set(name, fresh);
      if (fresh) this.snapshot.setNode(this.latestNode(fresh).object);
    }
    return again;
  }

  /** Tell each waiting task why, when the reason changed. */
  private async recordWaiting(waiting: Waiting[], log: Logger): Promise<void> {
    const writes: { s: Stored<Task>; status: TaskStatus }[] = [];
    let events = 0;
    for (const w of waiting) {
      const s = this.tasks.get(w.taskKey);
      if (!s || !isPending(s.object) || !waitingChanged(s.object.status, w)) continue;
      const status: TaskStatus = { ...(s.object.status ?? { state: 'Pending' }), state: 'Pending', pendingReason: w.summary, pendingDetails: w.counts };
      writes.push({ s, status });
      log.debug('task waits for a node', { task: w.taskKey, reason: w.reason, message: w.summary });
      if (events++ < MAX_EVENTS_PER_CYCLE) this.d.recorder.warning(s.object, w.reason === 'QuotaExceeded' ? 'QuotaExceeded' : 'FailedScheduling', w.summary);
    }
    // A conflict only means the task moved on; the next cycle sees its new state.
    await commitEach(this.d.store, () => this.ctx.fence(), writes, (txn, { s, status }) =>
      Store.addPutStatus(txn, TASK, s.object.metadata.namespace, s.object.metadata.name, status, s.statusRev),
    );
  }
}

const key = (t: Stored<Task>): string => `${t.object.metadata.namespace}/${t.object.metadata.name}`;
