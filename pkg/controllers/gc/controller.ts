/**
 * The garbage collector: a runner around gc/compute.ts. Keys:
 *   node/<name>      release allocations of tasks that ended or vanished
 *   task/<ns>/<name> stop or delete a task whose owner (service, job run) is gone
 *   run/<ns>/<name>  delete a job run whose job is gone or was recreated (its tasks follow)
 *   events           delete events past their TTL, and the oldest past a cap (every minute)
 */
import { ApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import { TERMINAL_STATES, type Event, type Job, type JobRun, type Node, type Service, type Task } from '../../api/types.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../log/logger.js';
import { addRelease } from '../../store/binding.js';
import { Store, type Stored } from '../../store/store.js';
import { commitEach } from '../batch.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { addKill } from '../tasks.js';
import { eventsToExpire, orphanAction, releasable } from './compute.js';

const EVENT = lookupKind('Event')!;
const TASK = lookupKind('Task')!;
const JOBRUN = lookupKind('JobRun')!;
const SERVICE = lookupKind('Service')!;
const EVENTS_KEY = 'events';
const EVENT_TTL_MS = 60 * 60 * 1000;
/** Events kept at most (the oldest go first); with event series this is far more than a busy cluster writes in an hour. */
const MAX_EVENTS = 10_000;

export interface GcDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  /** Events kept at most (tests lower it). */
  maxEvents?: number;
}

export class GarbageCollector extends Controller {
  private nodes!: Informer<Node>;
  private tasks!: Informer<Task>;
  private services!: Informer<Service>;
  private events!: Informer<Event>;
  private jobs!: Informer<Job>;
  private runs!: Informer<JobRun>;
  /** Tasks deleted lately (insertion-ordered, capped): a node's status may still list them. */
  private readonly gone = new Map<string, true>();

  constructor(private readonly d: GcDeps) {
    super('gc', d.log, 2);
  }

  protected async setup(): Promise<void> {
    this.nodes = await this.d.informers.get<Node>('Node');
    this.tasks = await this.d.informers.get<Task>('Task');
    this.services = await this.d.informers.get<Service>('Service');
    this.events = await this.d.informers.get<Event>('Event');
    this.jobs = await this.d.informers.get<Job>('Job');
    this.runs = await this.d.informers.get<JobRun>('JobRun');
    // A node's allocation changes with every binding; look at it only when it
    // lists a task that ended or was deleted (its status can reach this cache
    // after the task's own change did).
    this.watch(this.nodes, (e) => {
      const name = e.stored.object.metadata.name;
      if (e.type === 'ADDED') return `node/${name}`;
      if (e.type === 'DELETED') return undefined;
      for (const ref of Object.keys(e.stored.object.status?.tasks ?? {})) {
        const t = this.tasks.get(ref)?.object;
        if (this.gone.has(ref) || (t && TERMINAL_STATES.has(t.status?.state ?? 'Pending'))) return `node/${name}`;
      }
      return undefined;
    });
    this.watch(this.tasks, (e) => {
      // Only what can leave something to collect: a new task (its owner may be
      // gone already), a task that ended, a task deleted while holding a node.
      const t = e.stored.object;
      // (a task whose owner the cache shows, with its uid, has nothing to collect: creating
      // 10,000 of a service's tasks costs no 10,000 reconciles)
      if (e.type === 'ADDED') return this.orphanInCache(e.stored) === 'none' ? undefined : `task/${e.key}`;
      const node = t.status?.nodeName ?? e.old?.object.status?.nodeName;
      if (!node) return undefined;
      if (e.type === 'DELETED') {
        this.gone.set(e.key, true);
        if (this.gone.size > 50_000) this.gone.delete(this.gone.keys().next().value!);
        return `node/${node}`;
      }
      const ended = TERMINAL_STATES.has(t.status?.state ?? 'Pending');
      const wasEnded = TERMINAL_STATES.has(e.old?.object.status?.state ?? 'Pending');
      return ended && !wasEnded ? [`node/${node}`, `task/${e.key}`] : undefined;
    });
    const tasksOwnedBy = (owner: string, ns: string | undefined) =>
      this.tasks
        .list()
        .filter((t) => t.object.spec.owner === owner && t.object.metadata.namespace === ns)
        .map((t) => `task/${ns}/${t.object.metadata.name}`);
    this.watch(this.services, (e) => (e.type === 'DELETED' ? tasksOwnedBy(`service/${e.stored.object.metadata.name}`, e.stored.object.metadata.namespace) : undefined));
    // A run whose job is gone (or was recreated) goes, and then its tasks.
    this.watch(this.runs, (e) => (e.type === 'ADDED' ? `run/${e.key}` : e.type === 'DELETED' ? tasksOwnedBy(`jobrun/${e.stored.object.metadata.name}`, e.stored.object.metadata.namespace) : undefined));
    this.watch(this.jobs, (e) => {
      if (e.type !== 'DELETED') return undefined;
      const j = e.stored.object;
      return this.runs
        .list()
        .filter((r) => r.object.spec.job === j.metadata.name && r.object.metadata.namespace === j.metadata.namespace)
        .map((r) => `run/${r.object.metadata.namespace}/${r.object.metadata.name}`);
    });
    for (const n of this.nodes.list()) this.enqueue(`node/${n.object.metadata.name}`);
    for (const t of this.tasks.list()) if (this.orphanInCache(t) !== 'none') this.enqueue(`task/${t.object.metadata.namespace}/${t.object.metadata.name}`);
    for (const r of this.runs.list()) this.enqueue(`run/${r.object.metadata.namespace}/${r.object.metadata.name}`);
    this.enqueue(EVENTS_KEY);
  }

  protected async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key === EVENTS_KEY) return this.expireEvents();
    if (key.startsWith('node/')) return this.release(key.slice(5));
    if (key.startsWith('task/')) return this.collectTask(key.slice(5));
    if (key.startsWith('run/')) return this.collectRun(key.slice(4));
  }

  private async release(name: string): Promise<void> {
    const node = this.nodes.get(`_/${name}`);
    if (!node) return;
    const { ended, missing } = releasable(node.object, (ref) => this.tasks.get(ref)?.object);
    const refs = [...ended];
    for (const ref of missing) {
      const [ns, n] = ref.split('/');
      if (!(await this.d.store.get(TASK, ns, n!))) refs.push(ref);
    }
    if (refs.length === 0) return;
    const txn = this.d.store.txn(this.ctx.fence());
    addRelease(txn, node, refs);
    const r = await txn.commit();
    // a conflict means the node moved on (a binding, a heartbeat): its informer event brings us back
    if (!r.succeeded) throw new ApiError('Conflict', `node ${name} changed while releasing`);
  }

  /** The task's owner as the cache holds it: its informer (services, runs), and the owner there. */
  private ownerOf(s: Stored<Task>): { kind: string; name: string; owners?: Informer<Service> | Informer<JobRun>; cached?: Stored<Service> | Stored<JobRun> } {
    const [kind = '', name = ''] = (s.object.spec.owner ?? '').split('/');
    const owners = kind === 'service' ? this.services : kind === 'jobrun' ? this.runs : undefined;
    return { kind, name, owners, cached: owners?.get(`${s.object.metadata.namespace}/${name}`) };
  }

  /** What to do with the task by the cache alone (owners of other kinds keep their tasks until their own loops say otherwise). */
  private orphanInCache(s: Stored<Task>, o = this.ownerOf(s)): ReturnType<typeof orphanAction> {
    return orphanAction(s.object, () => (o.owners ? o.cached?.object.metadata.uid : s.object.spec.ownerUid));
  }

  private async collectTask(ref: string): Promise<void> {
    const s = this.tasks.get(ref);
    if (!s) return;
    const ns = s.object.metadata.namespace;
    const o = this.ownerOf(s);
    let action = this.orphanInCache(s, o);
    if (action === 'none') return;
    // A job run and its first tasks are created in one transaction but reach
    // this loop through two watches, the task's often first: an owner the
    // cache does not show yet is looked up in etcd before anything goes.
    const { kind: ownerKind, name: ownerName, owners, cached } = o;
    if (owners && !cached) {
      const uid = (await this.d.store.get(ownerKind === 'service' ? SERVICE : JOBRUN, ns, ownerName))?.object.metadata.uid;
      action = orphanAction(s.object, () => uid);
      if (action === 'none') return;
    }
    const txn = this.d.store.txn(this.ctx.fence());
    if (action === 'delete') Store.addRemove(txn, TASK, s);
    else addKill(txn, s);
    const r = await txn.commit();
    if (!r.succeeded) throw new ApiError('Conflict', `task ${ref} changed while collecting it`);
  }

  /** A run made by a job that is gone, or was recreated under its name. */
  private async collectRun(ref: string): Promise<void> {
    const s = this.runs.get(ref);
    if (!s?.object.spec.jobUid) return;
    const job = this.jobs.get(`${s.object.metadata.namespace}/${s.object.spec.job}`)?.object;
    if (job?.metadata.uid === s.object.spec.jobUid) return;
    const txn = this.d.store.txn(this.ctx.fence());
    Store.addRemove(txn, JOBRUN, s);
    const r = await txn.commit();
    if (!r.succeeded) throw new ApiError('Conflict', `run ${ref} changed while collecting it`);
  }

  private async expireEvents(): Promise<ReconcileResult> {
    const now = Date.now();
    const at = (e: Stored<Event>) => Date.parse(e.object.spec.lastTimestamp ?? e.object.metadata.creationTimestamp ?? '') || now;
    const old = eventsToExpire(this.events.list(), at, now, EVENT_TTL_MS, this.d.maxEvents ?? MAX_EVENTS);
    // a conflict (an event updated meanwhile) leaves that event for the next round
    await commitEach(this.d.store, () => this.ctx.fence(), old, (txn, e) => Store.addRemove(txn, EVENT, e));
    return { requeueAfter: 60_000 };
  }
}
