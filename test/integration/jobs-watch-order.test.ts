/**
 * The job timers loop under every order its informers can show one write
 * in (real etcd for the writes; informers the test feeds by hand). A run,
 * its first task and its status are written in one transaction, but they
 * reach the loop through separate watches, in any order:
 *
 *   the task before the run ──► the run's pass starts no second task
 *   the run before its task (another leader's run) ──► no second task either
 *   a Missed record before its status ──► it is not taken for a Pending run: no task
 *   (gc) a run's task before the run ──► the task is not collected as an orphan
 *
 * Each reconcile is called by the test, in the order it says.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../pkg/api/defaults.js';
import { newJobRun, slotRunName } from '../../pkg/api/jobs.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type AnyResource, type Job, type JobRun, type Task } from '../../pkg/api/types.js';
import { GarbageCollector } from '../../pkg/controllers/gc/controller.js';
import { JobsController } from '../../pkg/controllers/jobs/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import type { InformerFactory } from '../../pkg/informer/factory.js';
import type { Handler } from '../../pkg/informer/informer.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store, type Stored } from '../../pkg/store/store.js';
import { startEtcd } from '../helpers/etcd.js';
import { becomeLeader } from '../helpers/leader.js';

const JOB = lookupKind('Job')!;
const JOBRUN = lookupKind('JobRun')!;
const TASK = lookupKind('Task')!;

/** An informer that shows what the test hands it, when the test says. */
class Shown<T extends AnyResource> {
  private readonly m = new Map<string, Stored<T>>();
  private readonly hs: Handler<T>[] = [];
  hasSynced = true;
  get(k: string) {
    return this.m.get(k);
  }
  list() {
    return [...this.m.values()];
  }
  onChange(h: Handler<T>) {
    this.hs.push(h);
    return () => undefined;
  }
  show(s: Stored<T>) {
    const key = `${s.object.metadata.namespace}/${s.object.metadata.name}`;
    const old = this.m.get(key);
    this.m.set(key, s);
    for (const h of this.hs) h(old ? { type: 'MODIFIED', key, stored: s, old, revision: s.specRev } : { type: 'ADDED', key, stored: s, revision: s.specRev });
  }
}

/** The object alone, as the spec watch shows it before the status watch. */
const specOnly = <T extends AnyResource>(s: Stored<T>): Stored<T> => {
  const { status: _, ...o } = s.object;
  return { object: o as T, specRev: s.specRev, statusRev: '0' };
};

describe('the job timers loop, whatever order its watches show a write in (real etcd)', () => {
  it('a run and its first task, shown in either order, and a record shown before its status: one task per run, none for the record', async () => {
    const etcd = await startEtcd();
    const client = newEtcdClient({ endpoints: etcd.endpoint });
    const store = new Store(client);
    const leader = await becomeLeader(client);
    try {
      const slot = Math.floor(Date.now() / 1000) * 1000 - 10_000;
      const job = applyDefaults({
        apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: 'tick', namespace: 'default', creationTimestamp: new Date(slot - 5000).toISOString() },
        spec: { schedule: '* * * * * *', image: 'x', resources: { cpus: 0.1, mem: 16 }, catchUp: { windowSeconds: 2, mode: 'latest' } },
      } as Job);
      await store.create(JOB, job);
      await store.putStatus(JOB, 'default', 'tick', { lastScheduleTime: new Date(slot - 1000).toISOString() }, '0');

      /** A loop with informers of its own, as a server has (a second one: another leader). */
      const loop = async () => {
        const inf = { Job: new Shown<Job>(), JobRun: new Shown<JobRun>(), Task: new Shown<Task>(), Service: new Shown() };
        const informers = { get: async (k: keyof typeof inf) => inf[k] } as unknown as InformerFactory;
        const ctl = new JobsController({ store, informers, log: nopLogger, recorder: new MemoryRecorder(), now: () => slot + 100 });
        const c = ctl as unknown as { ctx: typeof leader.ctx; setup(): Promise<void>; reconcile(k: string): Promise<unknown> };
        c.ctx = leader.ctx;
        inf.Job.show((await store.get<Job>(JOB, 'default', 'tick'))!);
        await c.setup();
        return { inf, reconcile: (k: string) => c.reconcile(k) };
      };
      const tasksOf = async (run: string) =>
        (await store.list<Task>(TASK, 'default')).items.filter((t) => t.object.spec.owner === `jobrun/${run}`).map((t) => t.object.metadata.name).sort();

      // the leader's pass: the slot's run and its first task, in one transaction
      const a = await loop();
      await a.reconcile('job/default/tick');
      const name = slotRunName('tick', slot);
      const run = (await store.get<JobRun>(JOBRUN, 'default', name))!;
      assert.ok(run, `${name} was created`);
      assert.deepEqual(await tasksOf(name), [`${name}-00000`]);
      const task = (await store.get<Task>(TASK, 'default', `${name}-00000`))!;

      // its task reaches the loop first (the run's pass finds no run yet), then the run
      a.inf.Task.show(task);
      await a.reconcile(`run/default/${name}`);
      a.inf.JobRun.show(run);
      await a.reconcile(`run/default/${name}`);
      assert.deepEqual(await tasksOf(name), [`${name}-00000`], 'the task before the run: still one task');

      // another leader whose informers show the run, not yet its task
      const b = await loop();
      b.inf.JobRun.show((await store.get<JobRun>(JOBRUN, 'default', name))!);
      await b.reconcile(`run/default/${name}`);
      assert.deepEqual(await tasksOf(name), [`${name}-00000`], 'the run before its task: still one task');

      // a Missed record, shown before its status
      const recordName = slotRunName('tick', slot - 5000);
      const record = newJobRun(job, { name: recordName, trigger: 'schedule', slot: new Date(slot - 5000), record: { state: 'Missed', reason: 'LeaderDown', message: 'no leader ran it in time' } });
      const stored = await store.create(JOBRUN, record);
      b.inf.JobRun.show(specOnly(stored));
      // (taken for a Pending run, it got a task, then its status write failed: the loop retries, the task stays)
      const failed = await b.reconcile(`run/default/${recordName}`).then(() => undefined, (e: unknown) => e);
      assert.deepEqual(await tasksOf(recordName), [], 'a record seen before its status: no task');
      assert.equal(failed, undefined);
      await b.reconcile('job/default/tick');
      assert.deepEqual(await tasksOf(recordName), []);
      assert.equal((await store.get<JobRun>(JOBRUN, 'default', recordName))?.object.status?.state, 'Missed');
    } finally {
      await leader.stop();
      client.close();
      etcd.stop();
    }
  });

  it('gc: the task of a new run, shown before the run, is not collected as an orphan; once the run is really gone, it is', async () => {
    const etcd = await startEtcd();
    const client = newEtcdClient({ endpoints: etcd.endpoint });
    const store = new Store(client);
    const leader = await becomeLeader(client);
    try {
      const job = applyDefaults({ apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: 'tick', namespace: 'default' }, spec: { schedule: '* * * * * *', image: 'x', resources: { cpus: 0.1, mem: 16 } } } as Job);
      const storedJob = await store.create(JOB, job);
      const run = (await store.create(JOBRUN, newJobRun(storedJob.object, { name: 'tick-1796190000', trigger: 'schedule', slot: new Date(1796190000_000) }))).object;
      const task: Task = {
        apiVersion: API_VERSION, kind: 'Task',
        metadata: { name: 'tick-1796190000-00000', namespace: 'default', labels: { 'stowage/owner': 'jobrun/tick-1796190000', 'stowage/job': 'tick' } },
        spec: { ...run.spec.template, owner: 'jobrun/tick-1796190000', ownerUid: run.metadata.uid! },
        status: { state: 'Pending' },
      } as Task;
      const storedTask = await store.create(TASK, task);

      const inf = { Node: new Shown(), Task: new Shown<Task>(), Service: new Shown(), Event: new Shown(), Job: new Shown<Job>(), JobRun: new Shown<JobRun>() };
      const informers = { get: async (k: keyof typeof inf) => inf[k] } as unknown as InformerFactory;
      const gc = new GarbageCollector({ store, informers, log: nopLogger }) as unknown as { ctx: typeof leader.ctx; setup(): Promise<void>; reconcile(k: string): Promise<unknown> };
      gc.ctx = leader.ctx;
      await gc.setup();
      inf.Job.show(storedJob);
      // the task, with its status, reaches the collector; its run not yet
      inf.Task.show(storedTask);
      await gc.reconcile(`task/default/${task.metadata.name}`);
      assert.ok(await store.get(TASK, 'default', task.metadata.name), 'the task of a run not shown yet stays');

      // the run is really gone: its task is an orphan
      await store.remove(JOBRUN, 'default', run.metadata.name);
      await gc.reconcile(`task/default/${task.metadata.name}`);
      assert.equal(await store.get(TASK, 'default', task.metadata.name), undefined, 'an orphan is still collected');
    } finally {
      await leader.stop();
      client.close();
      etcd.stop();
    }
  });
});
