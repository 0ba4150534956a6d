/**
 * The services loop: a thin runner around computeService. Keys are
 * "namespace/name" of Services.
 *
 *   Service change ──► its key, and the keys of services depending on it
 *   Task change    ──► its owner's key (label stowage/owner: service/<name>)
 *   reconcile(key) ──► computeService(service, tasks, dependencies, now)
 *                        │
 *        txn 1 (fenced): status (CAS on statusRev) + delete ended tasks
 *                        + health kills      ── all or nothing: a failure is
 *                                               recorded exactly once
 *        then, in parallel: other kills (CAS on each task's spec; each drains
 *                        drainSeconds out of endpoints first, tasks.ts) and
 *                        creates (create-if-absent, the spec key only: a
 *                        task's status key is first written by its binding,
 *                        until then it is Pending), as many per fenced
 *                        transaction as etcd's budget takes (commitEach)
 *
 * What this loop wrote is remembered until the informer shows it (owned.ts),
 * so a quick second reconcile never creates the same instances twice.
 */
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import { API_VERSION, type Job, type JobRun, type Service, type ServiceStatus, type Task } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer, InformerEvent } from '../../informer/informer.js';
import type { Logger } from '../../log/logger.js';
import * as metrics from '../../metrics/metrics.js';
import { Store, type Stored } from '../../store/store.js';
import { jsonEqual } from '../../util/equal.js';
import { commitEach } from '../batch.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { addKill } from '../tasks.js';
import { computeService, type Plan, type ServiceOptions } from './compute.js';
import { dependencyState, jobDependencyState, type DependencyState } from './conditions.js';
import { cycleMessage, dependencyCycle, edgesOf, nodeKeyOf } from '../../api/dependencies.js';
import { parseRef } from '../../api/jobs.js';
import { TASK_SUFFIX_LENGTH } from '../../api/names.js';
import { OwnedTasks } from './owned.js';
import { dependencyEnv } from './dependency-env.js';
import { SERVICE_DEFAULTS } from '../../api/defaults.js';
import { HASH_LABEL, OWNER_LABEL, REVISION_LABEL } from '../../api/labels.js';
import { addMarks, TRACE_ANNOTATION, TRACE_MARKS_ANNOTATION, traceIdOf, traceNow, type TraceMarks } from '../../api/trace.js';

const SERVICE = lookupKind('Service')!;
const TASK = lookupKind('Task')!;
/**
 * The longest a task change waits to be reconciled with others of its
 * service: a 40th of a millisecond per task (10,000 tasks: 250 ms; 40,000
 * and more: 1 s). A reconcile reads every task of the service, so a
 * 100,000-task service reconciled 4 times a second while it starts would
 * spend most of the leader's thread on it.
 */
const MAX_COALESCE_MS = 1000;
/**
 * And a change waits at least this many times what the service's last
 * pass cost the thread (up to COST_COALESCE_CAP_MS, and never more than a
 * millisecond per task): a pass over 100,000 tasks costs about 0.4 s, and
 * one every second or so, while they start, took most of the leader's
 * thread from the scheduler and the agents' reports. Past a size, the
 * services loop keeps to about a tenth of the thread per service.
 */
const COST_COALESCE_FACTOR = 9;
const COST_COALESCE_CAP_MS = 5000;
const SUFFIX = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Per-task Killing events in one pass at most; a bigger pass has only the service's event with the count. */
const MAX_KILL_EVENTS = 20;

export interface ServicesDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  recorder: Recorder;
  options?: Partial<ServiceOptions>;
  /** The clock (tests step it). */
  now?: () => number;
}

export class ServicesController extends Controller {
  private services!: Informer<Service>;
  private tasks!: Informer<Task>;
  private jobs!: Informer<Job>;
  private runs!: Informer<JobRun>;
  private owned!: OwnedTasks;
  /** Statuses this loop wrote that its informer may not have delivered yet. */
  private readonly written = new Map<string, { uid: string | undefined; status: ServiceStatus; statusRev: string }>();
  /** What each service's last pass cost the thread (ms): reading its tasks and deciding. */
  private readonly passMs = new Map<string, number>();
  /** Traced services (api/trace.ts): when their change was first seen, until a reconcile takes it. */
  private readonly traceSeen = new Map<string, number>();

  constructor(private readonly d: ServicesDeps) {
    super('services', d.log, 4);
  }

  protected async setup(): Promise<void> {
    this.services = await this.d.informers.get<Service>('Service');
    this.tasks = await this.d.informers.get<Task>('Task');
    this.jobs = await this.d.informers.get<Job>('Job');
    this.runs = await this.d.informers.get<JobRun>('JobRun');
    this.owned = new OwnedTasks(this.tasks);
    this.written.clear();
    this.watch(this.services, (e) => this.onService(e));
    this.watch(this.tasks, (e) => {
      const key = this.owned.onEvent(e);
      // A big service's tasks change by the thousand during a deployment:
      // gather them into one reconcile every few hundred ms; small services react at once.
      if (key) this.enqueue(key, this.coalesceMs(key));
      return undefined;
    });
    // A job a service depends on: its runs decide whether the service may go on.
    this.watch(this.jobs, (e) => this.dependentsOf(e.stored.object.metadata.namespace, `job/${e.stored.object.metadata.name}`));
    this.watch(this.runs, (e) => this.dependentsOf(e.stored.object.metadata.namespace, `job/${e.stored.object.spec.job}`));
    this.owned.rebuild();
    for (const s of this.services.list()) this.enqueue(keyOf(s.object));
  }

  /** How long a change of a service's tasks (or its own status write) waits to be reconciled with others. */
  private coalesceMs(key: string): number {
    const n = this.owned.count(key);
    const byCost = Math.min(COST_COALESCE_CAP_MS, n, COST_COALESCE_FACTOR * (this.passMs.get(key) ?? 0));
    return Math.floor(Math.max(Math.min(MAX_COALESCE_MS, n / 40), byCost));
  }

  private onService(e: InformerEvent<Service>): string[] {
    const svc = e.stored.object;
    const key = keyOf(svc);
    if (e.type !== 'DELETED' && traceIdOf(svc) && !this.traceSeen.has(key)) this.traceSeen.set(key, traceNow());
    const w = this.written.get(key);
    // The echo of this loop's own status write waits like a task change: a big service's pass
    // writes its status (its counts moved), and reconciling each echo at once ran its passes back to back.
    // An older write of ours is an echo too: passes write faster than the watch delivers, and
    // "not our newest write" made each late echo start a pass that wrote again, back to back.
    const echo =
      e.type === 'MODIFIED' && w !== undefined && w.uid === svc.metadata.uid && BigInt(e.stored.statusRev) <= BigInt(w.statusRev) && e.old?.specRev === e.stored.specRev && e.old.statusRev !== e.stored.statusRev;
    if (e.type === 'DELETED') {
      this.written.delete(key);
      this.passMs.delete(key);
      this.owned.forget(key);
    } else if (w && (w.uid !== svc.metadata.uid || BigInt(e.stored.statusRev) >= BigInt(w.statusRev))) {
      this.written.delete(key);
    }
    // Services that depend on this one wait for its health.
    const dependents = this.dependentsOf(svc.metadata.namespace, `service/${svc.metadata.name}`);
    if (!echo) return [key, ...dependents];
    this.enqueue(key, this.coalesceMs(key));
    return dependents;
  }

  /** Keys of the services of `ns` that depend on the graph node `node` (service/NAME or job/NAME). */
  private dependentsOf(ns: string | undefined, node: string): string[] {
    return this.services
      .list()
      .filter((s) => s.object.metadata.namespace === ns && s.object.spec.dependencies?.length && edgesOf(s.object).includes(node))
      .map((s) => keyOf(s.object));
  }

  /** The service with the newest status: the informer's or the one we just wrote. */
  private latest(s: Stored<Service>): Stored<Service> {
    const w = this.written.get(keyOf(s.object));
    if (!w || w.uid !== s.object.metadata.uid || BigInt(w.statusRev) <= BigInt(s.statusRev)) return s;
    return { object: { ...s.object, status: w.status }, specRev: s.specRev, statusRev: w.statusRev };
  }

  protected async reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    const began = traceNow();
    const seen = this.traceSeen.get(key);
    this.traceSeen.delete(key);
    const cached = this.services.get(key);
    if (!cached) {
      this.owned.forget(key);
      this.passMs.delete(key);
      return;
    }
    const t0 = performance.now();
    const s = this.latest(cached);
    const svc = s.object;
    const uid = svc.metadata.uid;
    const stored = this.owned.tasksOf(key, uid);
    const ns = svc.metadata.namespace ?? 'default';
    const deps = this.dependencies(svc, ns);
    const now = this.d.now?.() ?? Date.now();
    const plan = computeService({ service: svc, tasks: stored.map((t) => t.object), dependencies: deps, now, options: this.d.options });
    this.passMs.set(key, performance.now() - t0);
    const marks = traceIdOf(svc) ? { ...(seen !== undefined ? { 'services.seen': seen } : {}), 'services.began': began, 'services.computed': traceNow() } : undefined;
    // the stored form of the tasks the plan kills or removes (most passes have none)
    const byTask = plan.kill.length + plan.remove.length > 0 ? new Map(stored.map((t) => [t.object, t])) : new Map<Task, Stored<Task>>();
    await this.apply(key, s, plan, byTask, marks);
    for (const ev of plan.events) this.d.recorder[ev.type === 'Normal' ? 'normal' : 'warning'](svc, ev.reason, ev.message);
    this.count(plan, s.object.status, log);
    if (plan.requeueAfterMs !== undefined) return { requeueAfter: plan.requeueAfterMs };
  }

  /** Each dependency's state; one in a cycle (concurrent writes can close one the API refuses) says so. */
  private dependencies(svc: Service, ns: string): DependencyState[] {
    const refs = (svc.spec.dependencies ?? []).map((d) => parseRef(d, 'service'));
    if (refs.length === 0) return [];
    const cycle = dependencyCycle(nodeKeyOf(svc), (node) => {
      const [kind, name] = [node.slice(0, node.indexOf('/')), node.slice(node.indexOf('/') + 1)];
      const o = kind === 'job' ? this.jobs.get(`${ns}/${name}`)?.object : this.services.get(`${ns}/${name}`)?.object;
      return o ? edgesOf(o) : undefined;
    });
    return refs.map((ref) => {
      const d = ref.kind === 'job' ? this.jobDependency(ns, ref.name) : dependencyState(ref.name, this.services.get(`${ns}/${ref.name}`)?.object);
      return cycle?.[1] === d.name ? { ...d, detail: `${d.detail} (${cycleMessage(cycle)})` } : d;
    });
  }

  /** The services (not jobs) a service depends on that exist. */
  private dependencyServices(svc: Service, ns: string): Service[] {
    const out: Service[] = [];
    for (const d of svc.spec.dependencies ?? []) {
      const ref = parseRef(d, 'service');
      const dep = ref.kind === 'service' ? this.services.get(`${ns}/${ref.name}`)?.object : undefined;
      if (dep) out.push(dep);
    }
    return out;
  }

  /** A job dependency: ready when its newest run (records aside) succeeded. */
  private jobDependency(ns: string, name: string): DependencyState {
    const job = this.jobs.get(`${ns}/${name}`)?.object;
    let newest: JobRun | undefined;
    for (const s of this.runs.list()) {
      const r = s.object;
      if (r.spec.job !== name || r.metadata.namespace !== ns || r.spec.jobUid !== job?.metadata.uid) continue;
      if (r.status?.state === 'Missed' || r.status?.state === 'Skipped') continue;
      if (!newest || (r.metadata.creationTimestamp ?? '') > (newest.metadata.creationTimestamp ?? '')) newest = r;
    }
    return jobDependencyState(name, job, newest);
  }

  private async apply(key: string, s: Stored<Service>, plan: Plan, byTask: Map<Task, Stored<Task>>, marks?: TraceMarks): Promise<void> {
    const svc = s.object;
    const fence = () => this.ctx.fence();
    const storedOf = (t: Task) => byTask.get(t)!;
    // 1. Status with what it records (ended tasks, health kills): one transaction,
    //    all or nothing, so a failure is recorded exactly once (compute caps
    //    what one pass records, so it fits etcd's budget).
    const first = this.d.store.txn(fence());
    const statusChanged = !jsonEqual(svc.status, plan.status);
    if (statusChanged) Store.addPutStatus(first, SERVICE, svc.metadata.namespace, svc.metadata.name, plan.status, s.statusRev);
    for (const r of plan.remove) Store.addRemove(first, TASK, storedOf(r.task));
    const drain = { drainSeconds: drainOf(svc) };
    const healthKills = plan.kill.filter((k) => k.reason === 'Unhealthy');
    for (const k of healthKills) addKill(first, storedOf(k.task), drain);
    if (!first.empty) {
      const r = await first.commit();
      if (!r.succeeded) throw new ApiError('Conflict', `service ${key} or one of its ended tasks changed meanwhile`);
      if (statusChanged) this.written.set(key, { uid: svc.metadata.uid, status: plan.status, statusRev: r.revision });
      for (const x of plan.remove) this.owned.deleted(key, x.task, r.revision);
      for (const k of healthKills) this.noteKill(key, k.task, r.revision, storedOf(k.task).statusRev);
      this.recordKills(plan, healthKills, drain.drainSeconds);
    }
    // 2. Everything else: each kill and each create stands alone, packed into as
    //    many transactions as etcd's budget needs. What commits is remembered at once.
    const kills = plan.kill.filter((k) => k.reason !== 'Unhealthy');
    const tasks = this.newTasks(key, svc, plan, marks && { ...marks, 'services.create': traceNow() });
    const [k, c] = await Promise.all([
      // (an unbound task is deleted outright; Store.addRemove compares its status
      // revision too, so a binding made meanwhile cannot leave its assignment behind)
      commitEach(this.d.store, fence, kills, (txn, x) => addKill(txn, storedOf(x.task), drain), (done, rev) => {
        for (const x of done) this.noteKill(key, x.task, rev, storedOf(x.task).statusRev);
        this.recordKills(plan, done, drain.drainSeconds);
      }),
      // one put per task: no status key until the scheduler binds it (Pending is implied, api/implied-status.ts)
      commitEach(this.d.store, fence, tasks, (txn, t) => Store.addCreate(txn, TASK, t), (done, rev) => {
        for (const t of done) {
          t.metadata.resourceVersion = rev;
          this.owned.wrote(key, { object: { ...t, status: { state: 'Pending' } }, specRev: rev, statusRev: '0' });
        }
        metrics.serviceTasksCreated.inc(done.length);
      }),
    ]);
    const lost = k.conflicted.length + c.conflicted.length;
    if (lost > 0) throw new ApiError('Conflict', `${lost} of ${kills.length + tasks.length} task write(s) for service ${key} lost a race; reconciling again`);
  }

  /**
   * Why each task is being killed, on the task (its agent's Killed event
   * follows when the container stops). A pass that kills more than
   * MAX_KILL_EVENTS has only the service's RollingUpdate / ScalingDown
   * event with the count, so a big scale-down writes no Event per task.
   */
  private recordKills(plan: Plan, done: readonly Plan['kill'][number][], drainSeconds: number): void {
    if (plan.kill.length > MAX_KILL_EVENTS) return;
    for (const k of done) {
      const drain = drainSeconds > 0 && k.task.status?.nodeName ? `; out of endpoints now, draining ${drainSeconds}s before its container is stopped` : '';
      this.d.recorder.normal(k.task, 'Killing', `stopping task ${k.task.metadata.name}: ${k.message}${drain}`);
    }
  }

  /** Remember a kill until the informer shows it (a kill writes the spec; the status is untouched). */
  private noteKill(key: string, t: Task, revision: string, statusRev: string): void {
    if (!t.status?.nodeName) return this.owned.deleted(key, t, revision);
    const killed: Task = { ...t, spec: { ...t.spec, desiredState: 'Killed' }, metadata: { ...t.metadata, resourceVersion: revision } };
    this.owned.wrote(key, { object: killed, specRev: revision, statusRev });
  }

  /** The tasks to create: the template, the owner, a fresh name each. */
  private newTasks(key: string, svc: Service, plan: Plan, marks?: TraceMarks): Task[] {
    const { count, template, hash, revision } = plan.create;
    const ns = svc.metadata.namespace ?? 'default';
    const owner = `service/${svc.metadata.name}`;
    // where the dependencies are: their service ports (the task's own env wins a clash)
    const depEnv = dependencyEnv(this.dependencyServices(svc, ns));
    const env = Object.keys(depEnv).length > 0 ? { ...depEnv, ...(template.env ?? {}) } : undefined;
    const names = new Set<string>();
    const out: Task[] = [];
    // a traced service's tasks carry its trace id and the marks so far; like any task, they are
    // created with their spec key only (Pending until the binding writes a status)
    const traceId = traceIdOf(svc);
    const annotations = traceId
      ? { annotations: { [TRACE_ANNOTATION]: traceId, ...(marks ? { [TRACE_MARKS_ANNOTATION]: JSON.stringify(addMarks(undefined, marks)) } : {}) } }
      : {};
    // one copy of the template for the pass: its tasks share it (objects of a loop are never modified)
    const shared = structuredClone(template);
    while (out.length < count) {
      const name = `${svc.metadata.name}-${suffix()}`;
      if (names.has(name) || this.owned.taken(key, ns, name)) continue;
      names.add(name);
      out.push({
        apiVersion: API_VERSION,
        kind: 'Task',
        metadata: { name, namespace: ns, labels: { [OWNER_LABEL]: owner, [HASH_LABEL]: hash, [REVISION_LABEL]: String(revision) }, ...annotations },
        spec: { ...shared, ...(env ? { env } : {}), owner, ...(svc.metadata.uid ? { ownerUid: svc.metadata.uid } : {}), templateHash: hash },
      });
    }
    return out;
  }

  private count(plan: Plan, before: ServiceStatus | undefined, log: Logger): void {
    for (const k of plan.kill) metrics.serviceTasksKilled.inc({ reason: k.reason });
    for (const r of plan.remove) metrics.serviceTaskEnds.inc({ state: r.task.status?.state ?? 'Unknown' });
    const a = before?.deployment;
    const b = plan.status.deployment;
    if (!b) return;
    if (!a || a.revision !== b.revision || a.instances !== b.instances) metrics.serviceDeployments.inc({ result: 'started' });
    if (b.state !== a?.state && b.state !== 'progressing') {
      metrics.serviceDeployments.inc({ result: b.state });
      log.info(`deployment ${b.state}`, { revision: b.revision, message: b.message });
    }
  }
}

/** Seconds a killed task drains (the service's drainSeconds; 2 for a service stored before the field). */
const drainOf = (s: Service): number => s.spec.drainSeconds ?? SERVICE_DEFAULTS.drainSeconds;

const keyOf = (s: Service): string => `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;

/** Random bytes drawn a few thousand at a time (a pass names up to 10,000 tasks). */
let pool = Buffer.alloc(0);
let used = 0;

function suffix(): string {
  if (used + TASK_SUFFIX_LENGTH > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  let s = '';
  for (let i = 0; i < TASK_SUFFIX_LENGTH; i++) s += SUFFIX[pool[used++]! % SUFFIX.length];
  return s;
}
