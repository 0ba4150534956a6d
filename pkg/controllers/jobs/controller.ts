/**
 * The job timers loop: a runner around computeJob (one Job) and computeRun
 * (one JobRun). Keys:
 *
 *   job/<ns>/<name>  the job's slots, runs, records, history and status;
 *                    requeued at its next slot (a timer, not a poll)
 *   run/<ns>/<name>  the run's tasks and status
 *
 *   Job change ──────► job/..  (and the jobs that name it as a parent)
 *   JobRun change ───► run/.. and its job/.. (and, when it ended, its job's children)
 *   Task change ─────► run/.. of its owner (label stowage/owner: jobrun/<run>)
 *   Service change ──► the jobs that name it as a parent
 *
 * Every write is fenced; runs and tasks are created under deterministic
 * names, create-if-absent. What this loop created or wrote is laid over
 * its informers until they show it (cache.ts), so a quick second pass
 * neither creates nor counts anything twice.
 */
import { ApiError, isApiError } from '../../api/errors.js';
import { JOB_LABEL, parseRef } from '../../api/jobs.js';
import { lookupKind } from '../../api/kinds.js';
import { OWNER_LABEL } from '../../api/labels.js';
import { API_VERSION, type Job, type JobRun, type Service, type Task } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer, InformerEvent } from '../../informer/informer.js';
import type { Logger } from '../../log/logger.js';
import * as metrics from '../../metrics/metrics.js';
import { Store, type Stored } from '../../store/store.js';
import type { Txn } from '../../store/txn.js';
import { jsonEqual } from '../../util/equal.js';
import { commitEach } from '../batch.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { dependencyState } from '../services/conditions.js';
import { addKill } from '../tasks.js';
import { computeJob, isActive, isRecord, type JobPlan, type ParentState } from './compute.js';
import { Children, Dependents, Statuses } from './cache.js';
import { computeRun, taskName } from './run.js';

const JOB = lookupKind('Job')!;
const JOBRUN = lookupKind('JobRun')!;
const TASK = lookupKind('Task')!;
/** Runs of at most this many parallel tasks start them in the transaction that creates the run. */
const FIRST_TASKS_MAX = 16;

export interface JobsDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  recorder: Recorder;
  /** The clock (tests step it). */
  now?: () => number;
}

const nsOf = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';
const jobKeyOf = (ns: string, name: string) => `job/${ns}/${name}`;
const runOwner = (run: string) => `jobrun/${run}`;
/** The parents a job names, as `<ns>/<kind>/<name>` (the keys of Dependents). */
const parentKeys = (j: Job): string[] =>
  (j.spec.parents ?? []).map((p) => {
    const r = parseRef(p, 'job');
    return `${nsOf(j)}/${r.kind}/${r.name}`;
  });

export class JobsController extends Controller {
  private jobs!: Informer<Job>;
  private runs!: Informer<JobRun>;
  private tasks!: Informer<Task>;
  private services!: Informer<Service>;
  private runsOf!: Children<JobRun>;
  private tasksOf!: Children<Task>;
  private readonly jobStatus = new Statuses<Job>();
  private readonly runStatus = new Statuses<JobRun>();
  /** Jobs by the parents they name, and the active runs (for the gauge): kept per event, never scanned. */
  private readonly dependents = new Dependents();
  private readonly activeRuns = new Set<string>();

  constructor(private readonly d: JobsDeps) {
    // many jobs fire in the same second: their passes go to etcd side by side, their writes grouped (group-commit.ts)
    super('jobs', d.log, 128);
  }

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }

  protected async setup(): Promise<void> {
    this.jobs = await this.d.informers.get<Job>('Job');
    this.runs = await this.d.informers.get<JobRun>('JobRun');
    this.tasks = await this.d.informers.get<Task>('Task');
    this.services = await this.d.informers.get<Service>('Service');
    this.runsOf = new Children<JobRun>((k) => this.runs.get(k), (r) => `${nsOf(r)}/${r.spec.job}`);
    this.tasksOf = new Children<Task>(
      (k) => this.tasks.get(k),
      (t) => (t.spec.owner?.startsWith('jobrun/') ? `${nsOf(t)}/${t.spec.owner.slice(7)}` : undefined),
    );
    this.runsOf.rebuild(this.runs.list());
    this.tasksOf.rebuild(this.tasks.list());
    this.dependents.clear();
    for (const j of this.jobs.list()) this.dependents.set(`${nsOf(j.object)}/${j.object.metadata.name}`, parentKeys(j.object));
    this.activeRuns.clear();
    for (const r of this.runs.list()) if (isActive(r.object)) this.activeRuns.add(`${nsOf(r.object)}/${r.object.metadata.name}`);
    metrics.jobRunsActive.set(this.activeRuns.size);
    this.watch(this.jobs, (e) => {
      this.jobStatus.onEvent(e);
      const j = e.stored.object;
      const key = `${nsOf(j)}/${j.metadata.name}`;
      if (e.type === 'DELETED') {
        this.runsOf.forget(key);
        this.dependents.delete(key);
      } else {
        this.dependents.set(key, parentKeys(j));
      }
      return [jobKeyOf(nsOf(j), j.metadata.name), ...this.childrenOf(nsOf(j), 'job', j.metadata.name)];
    });
    this.watch(this.runs, (e) => this.onRun(e));
    this.watch(this.tasks, (e) => {
      const run = this.tasksOf.onEvent(e);
      return run ? `run/${run}` : undefined;
    });
    this.watch(this.services, (e) => this.childrenOf(nsOf(e.stored.object), 'service', e.stored.object.metadata.name));
    for (const j of this.jobs.list()) this.enqueue(jobKeyOf(nsOf(j.object), j.object.metadata.name));
    for (const r of this.runs.list()) if (isActive(r.object)) this.enqueue(`run/${nsOf(r.object)}/${r.object.metadata.name}`);
  }

  private onRun(e: InformerEvent<JobRun>): string[] {
    this.runStatus.onEvent(e);
    this.runsOf.onEvent(e);
    const r = e.stored.object;
    const ns = nsOf(r);
    if (e.type === 'DELETED') this.tasksOf.forget(`${ns}/${r.metadata.name}`);
    const runKey = `${ns}/${r.metadata.name}`;
    if (e.type !== 'DELETED' && isActive(r)) this.activeRuns.add(runKey);
    else this.activeRuns.delete(runKey);
    metrics.jobRunsActive.set(this.activeRuns.size);
    const keys = [`run/${ns}/${r.metadata.name}`, jobKeyOf(ns, r.spec.job)];
    // a run that ended, or an ended run marked succeeded, may let its job's children go
    const before = e.old ? (isActive(e.old.object) ? undefined : e.old.object.status?.state) : undefined;
    if (!isActive(r) && before !== r.status?.state) keys.push(...this.childrenOf(ns, 'job', r.spec.job));
    return keys;
  }

  /** Keys of the jobs of `ns` that name kind/name as a parent. */
  private childrenOf(ns: string, kind: 'job' | 'service', name: string): string[] {
    return this.dependents.of(`${ns}/${kind}/${name}`).map((k) => `job/${k}`);
  }

  protected async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key.startsWith('job/')) return this.reconcileJob(key.slice(4));
    if (key.startsWith('run/')) return this.reconcileRun(key.slice(4));
  }

  // ---- jobs ----

  private async reconcileJob(key: string): Promise<ReconcileResult | void> {
    const cached = this.jobs.get(key);
    if (!cached) return;
    const s = this.jobStatus.latest(cached);
    const job = s.object;
    const runs = (await Promise.all(this.runsOf.of(key).map((r) => this.whole(r)))).filter(
      (r): r is Stored<JobRun> => !!r && (!r.object.spec.jobUid || r.object.spec.jobUid === job.metadata.uid),
    );
    const byRun = new Map(runs.map((r) => [r.object, r]));
    const now = this.now();
    const plan = computeJob({ job, runs: runs.map((r) => r.object), parents: this.parentStates(job), now });
    const fence = () => this.ctx.fence();
    // A new run starts with its first tasks, in the transaction that creates it.
    const firstTasks = new Map(plan.create.map((r) => [r, this.firstTasks(r, now)]));
    const addRun = (txn: Txn, r: JobRun) => {
      Store.addCreate(txn, JOBRUN, r);
      for (const t of firstTasks.get(r)!) Store.addCreate(txn, TASK, t);
    };
    const created = (r: JobRun, rev: string) => {
      r.metadata.resourceVersion = rev;
      this.runsOf.created(key, { object: r, specRev: rev, statusRev: rev });
      const runKey = `${nsOf(r)}/${r.metadata.name}`;
      for (const t of firstTasks.get(r)!) this.tasksOf.created(runKey, { object: t, specRev: rev, statusRev: rev });
      if (isRecord(r)) metrics.jobSlotsNotRun.inc({ state: r.status!.state, reason: r.status!.reason ?? '' });
    };
    const statusChanged = !jsonEqual(job.status, plan.status);

    // The usual pass (a slot is due): its runs, their first tasks and the job's
    // new status in one transaction, so the cursor and the runs move together.
    if (plan.stop.length === 0 && plan.remove.length === 0 && plan.create.length > 0) {
      const term = fence();
      const txn = this.d.store.txn(term);
      for (const r of plan.create) addRun(txn, r);
      if (statusChanged) Store.addPutStatus(txn, JOB, job.metadata.namespace, job.metadata.name, plan.status, s.statusRev);
      if (txn.fits()) {
        // the runs of every job due now go to etcd together (a part each; see group-commit.ts)
        const r = await this.d.store.group.commit(term, (t) => {
          for (const run of plan.create) addRun(t, run);
          if (statusChanged) Store.addPutStatus(t, JOB, job.metadata.namespace, job.metadata.name, plan.status, s.statusRev);
        });
        // a run the cache did not show yet, or a status moved: decide again on fresh state
        if (!r.succeeded) throw new ApiError('Conflict', `job ${key}: a run or its status changed meanwhile`);
        for (const run of plan.create) created(run, r.revision);
        if (statusChanged) this.jobStatus.wrote(job, plan.status, r.revision);
        this.finishJob(job, plan);
        if (plan.requeueAfterMs !== undefined) return { requeueAfter: plan.requeueAfterMs };
        return;
      }
    }

    // 1. Runs and records, each created only if absent.
    const made = await commitEach(this.d.store, fence, plan.create, addRun, (done, rev) => {
      for (const r of done) created(r, rev);
    });
    // A record another pass (or leader) already made was counted then: not again.
    for (const r of made.conflicted) {
      if (r.status?.state === 'Missed') plan.status.missed = Math.max(0, (plan.status.missed ?? 1) - 1) || undefined;
      if (r.status?.state === 'Skipped') plan.status.skipped = Math.max(0, (plan.status.skipped ?? 1) - 1) || undefined;
    }
    // 2. Replace: the active runs are asked to stop; 3. history past its limits goes.
    await commitEach(this.d.store, fence, plan.stop, (txn, r) => {
      const st = byRun.get(r)!;
      const next: JobRun = { ...r, spec: { ...r.spec, desiredState: 'Killed' } };
      delete next.status;
      Store.carryMeta(JOBRUN, next, st);
      Store.addUpdate(txn, JOBRUN, next, st.specRev);
    });
    await commitEach(this.d.store, fence, plan.remove, (txn, r) => Store.addRemove(txn, JOBRUN, byRun.get(r)!), (done) => {
      for (const r of done) this.runsOf.deleted(key, r);
    });
    // 4. The status, once what it records exists.
    if (made.conflicted.length > 0 && made.committed.length === 0 && plan.create.length > 0) {
      // every create raced with a run the cache did not show yet: decide again on fresh state
      this.enqueue(`job/${key}`, 100);
    }
    if (!jsonEqual(job.status, plan.status)) {
      const rev = await this.d.store.putStatusGrouped(JOB, job.metadata.namespace, job.metadata.name, plan.status, s.statusRev, { fence: fence() });
      this.jobStatus.wrote(job, plan.status, rev);
    }
    this.finishJob(job, plan);
    if (plan.requeueAfterMs !== undefined) return { requeueAfter: plan.requeueAfterMs };
  }

  private finishJob(job: Job, plan: JobPlan): void {
    for (const ev of plan.events) this.d.recorder[ev.type === 'Normal' ? 'normal' : 'warning'](job, ev.reason, ev.message);
  }

  /**
   * The tasks a new run starts with (its status lists them), created with
   * the run; a run of many parallel tasks leaves them to its own pass.
   */
  private firstTasks(run: JobRun, now: number): Task[] {
    if (isRecord(run) || (run.spec.parallelism ?? 1) > FIRST_TASKS_MAX) return [];
    Store.initMeta(JOBRUN, run); // its uid, which its tasks name as their owner
    const p = computeRun(run, [], now);
    run.status = p.status;
    return p.create.map((i) => this.newTask(run, i));
  }

  /** Each parent of a dependent job, as this loop sees it now. */
  private parentStates(job: Job): ParentState[] {
    const ns = nsOf(job);
    const since = job.metadata.creationTimestamp ?? '';
    return (job.spec.parents ?? []).map((p): ParentState => {
      const ref = parseRef(p, 'job');
      if (ref.kind === 'service') {
        const svc = this.services.get(`${ns}/${ref.name}`)?.object;
        if (!svc) return { ref, found: false };
        const d = dependencyState(ref.name, svc);
        return { ref: { kind: 'service', name: ref.name }, found: true, ready: d.ready, detail: d.detail };
      }
      const parent = this.jobs.get(`${ns}/${ref.name}`)?.object;
      if (!parent) return { ref, found: false };
      // its newest run that ended after this job was created
      let last: JobRun | undefined;
      for (const s of this.runsOf.of(`${ns}/${ref.name}`)) {
        const r = s.object;
        if (isActive(r) || isRecord(r) || r.spec.jobUid !== parent.metadata.uid) continue;
        const end = r.status?.finishedAt ?? '';
        if (end < since) continue;
        if (!last || end > (last.status?.finishedAt ?? '')) last = r;
      }
      return { ref: { kind: 'job', name: ref.name }, found: true, ...(last ? { lastEnded: { name: last.metadata.name, state: last.status!.state } } : {}) };
    });
  }

  /**
   * A run with its status. Its spec and status come through two watches, so
   * the informer can show a run (another writer's: what this loop created
   * is laid over it, cache.ts) before its status; a Missed record would look
   * like a Pending run then and get a task. Such a run is read whole from etcd.
   */
  private async whole(s: Stored<JobRun>): Promise<Stored<JobRun> | undefined> {
    if (s.statusRev !== '0') return s;
    return this.d.store.get<JobRun>(JOBRUN, nsOf(s.object), s.object.metadata.name);
  }

  // ---- runs ----

  private async reconcileRun(key: string): Promise<ReconcileResult | void> {
    // Not shown yet (its task's event came first: two watches) or gone: its own event brings it
    // back. What this loop knows of its tasks is kept until the run's DELETED event; forgetting it
    // here made a new run's second pass miss its first task and start another.
    const cached = this.runs.get(key);
    if (!cached) return;
    const s = await this.whole(this.runStatus.latest(cached));
    if (!s) return;
    const run = s.object;
    if (!isActive(run)) return;
    const tasks = await this.tasksNamed(run, this.tasksOf.of(key));
    const byTask = new Map(tasks.map((t) => [t.object, t]));
    const now = this.now();
    const plan = computeRun(run, tasks.map((t) => t.object), now);
    const fence = () => this.ctx.fence();
    const created = plan.create.map((i) => this.newTask(run, i));
    await commitEach(this.d.store, fence, created, (txn, t) => Store.addCreate(txn, TASK, t), (done, rev) => {
      for (const t of done) this.tasksOf.created(key, { object: t, specRev: rev, statusRev: rev });
    });
    await commitEach(this.d.store, fence, plan.stop, (txn, t) => addKill(txn, byTask.get(t)!));
    if (!jsonEqual(run.status, plan.status)) {
      try {
        const rev = await this.d.store.putStatusGrouped(JOBRUN, run.metadata.namespace, run.metadata.name, plan.status, s.statusRev, { fence: fence() });
        this.runStatus.wrote(run, plan.status, rev);
      } catch (e) {
        // a user marked it meanwhile (mark-success) or it was collected: decide again
        if (isApiError(e, 'NotFound')) return;
        throw e;
      }
      this.observe(run, plan.status);
    }
    if (plan.requeueAfterMs !== undefined) return { requeueAfter: plan.requeueAfterMs };
  }

  /**
   * A run's tasks: those the cache shows, and those its status names that
   * the cache does not show, read from etcd. A task made with its run (or
   * by another leader) can reach the task informer after the run reaches
   * its own; taken for gone, the run would start another in its place.
   */
  private async tasksNamed(run: JobRun, cached: Stored<Task>[]): Promise<Stored<Task>[]> {
    const mine = (t: Task) => !t.spec.ownerUid || t.spec.ownerUid === run.metadata.uid;
    const tasks = cached.filter((t) => mine(t.object));
    const seen = new Set(tasks.map((t) => t.object.metadata.name));
    const unseen = (run.status?.tasks ?? []).filter((n) => !seen.has(n));
    const read = await Promise.all(unseen.map((n) => this.d.store.get<Task>(TASK, nsOf(run), n)));
    for (const t of read) if (t && t.object.spec.owner === runOwner(run.metadata.name) && mine(t.object)) tasks.push(t);
    return tasks;
  }

  /** Metrics and events of a run's transitions. */
  private observe(run: JobRun, next: JobRun['status']): void {
    const prev = run.status;
    if (next?.lateness !== undefined && prev?.lateness === undefined) metrics.jobStartLateness.observe(next.lateness);
    if (!next || next.state === prev?.state) return;
    if (next.state === 'Succeeded' || next.state === 'Failed') {
      metrics.jobRuns.inc({ result: next.state });
      const ev = `run ${run.metadata.name} ${next.state === 'Succeeded' ? 'succeeded' : 'failed'}${next.reason ? ` (${next.reason})` : ''}: ${next.message ?? ''}`;
      this.d.recorder[next.state === 'Succeeded' ? 'normal' : 'warning'](run, next.state === 'Succeeded' ? 'RunSucceeded' : 'RunFailed', ev);
    }
  }

  /** The i-th task of a run: the job's template, the run's env, and who it is. */
  private newTask(run: JobRun, i: number): Task {
    const slot = run.spec.slot ? String(Math.floor(Date.parse(run.spec.slot) / 1000)) : '';
    const owner = runOwner(run.metadata.name);
    const t = run.spec.template;
    return {
      apiVersion: API_VERSION,
      kind: 'Task',
      metadata: { name: taskName(run.metadata.name, i), namespace: nsOf(run), labels: { [OWNER_LABEL]: owner, [JOB_LABEL]: run.spec.job } },
      spec: {
        ...structuredClone(t),
        env: { ...(t.env ?? {}), ...(run.spec.env ?? {}), STOWAGE_JOB: run.spec.job, STOWAGE_RUN: run.metadata.name, STOWAGE_SLOT: slot },
        owner,
        ...(run.metadata.uid ? { ownerUid: run.metadata.uid } : {}),
        ...(run.spec.sim ? { sim: { ...run.spec.sim } } : {}),
      },
      status: { state: 'Pending' },
    };
  }
}
