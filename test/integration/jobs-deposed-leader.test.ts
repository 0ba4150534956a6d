/**
 * A deposed leader's job timers loop cannot write: 200 jobs share one slot
 * (`R1/<T>/PT1H`), so at T the loop sets out to commit 200 runs, each in a fenced
 * transaction of its own (the run, its first task and the job's status),
 * when its election lease is revoked under it.
 *
 *   the first OPEN run-creating transactions commit ──► the loop's other run-creating transactions are held at a gate
 *   lease revoked (revision R) ──► the election says deposed
 *   gate opens ──► the held transactions reach etcd with the old fence: refused (Fenced)
 *   the loop goes on through its queue ──► every job's pass fails closed (Fenced):
 *                                         no transaction is even built after the deposition
 *
 * Nothing under /stowage/ (jobs, jobruns, tasks and their statuses) may
 * carry a revision after R, and the slots whose runs were not written have
 * no run, no task, and a job status that has not moved past them. A second
 * term on the same etcd then makes them: every slot has exactly one run.
 * The loop runs with the term's own context (no Manager to stop it), so it
 * keeps trying.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../../pkg/api/errors.js';
import { applyDefaults } from '../../pkg/api/defaults.js';
import { JOB_LABEL, slotRunName } from '../../pkg/api/jobs.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Job, JobRun, Task } from '../../pkg/api/types.js';
import { JobsController } from '../../pkg/controllers/jobs/controller.js';
import type { ReconcileResult } from '../../pkg/controllers/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { LEADER_PREFIX, ROOT, specPrefix } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { splitTxns, type Fence, type Txn } from '../../pkg/store/txn.js';
import { startEtcd } from '../helpers/etcd.js';
import { GatedStore } from '../helpers/gated-store.js';
import { auditSlots } from '../helpers/job-slots.js';
import { becomeLeader } from '../helpers/leader.js';
import { until } from '../helpers/wait.js';

const JOB = lookupKind('Job')!;
const JOBRUN = lookupKind('JobRun')!;
const TASK = lookupKind('Task')!;
const JOBS = 200;
/** Run-creating transactions let through before the gate holds the rest. */
const OPEN = 5;
/** How far ahead of the test's start the shared slot lies: time to create the jobs first. */
const LEAD_MS = 3000;

const names = Array.from({ length: JOBS }, (_, i) => `j${String(i).padStart(3, '0')}`);

/** The gated store (holding only transactions that write a JobRun), counting what the loop builds and how late commits end. */
class WatchedStore extends GatedStore {
  /** Transactions built (every write of the loop builds one, after asking for its fence). */
  built = 0;
  gateOpened = false;
  /** How each commit that ended after the gate opened ended. */
  afterGate: string[] = [];

  constructor(client: ConstructorParameters<typeof GatedStore>[0]) {
    super(client, undefined, OPEN, (keys) => keys.some((k) => k.startsWith(specPrefix(JOBRUN))));
  }

  /** Transactions writing a JobRun that are in flight (held at the gate, or sent and not answered). */
  runTxnsInFlight = 0;

  override txn(fence?: Fence): Txn {
    this.built++;
    const t = super.txn(fence);
    let writesRun = false;
    const put = t.put.bind(t);
    t.put = (key, value, lease) => {
      if (key.startsWith(specPrefix(JOBRUN))) writesRun = true;
      return put(key, value, lease);
    };
    const commit = t.commit.bind(t);
    t.commit = async () => {
      const counted = writesRun;
      if (counted) this.runTxnsInFlight++;
      try {
        const r = await commit();
        if (this.gateOpened) this.afterGate.push(r.succeeded ? 'committed' : 'conflict');
        return r;
      } catch (e) {
        if (this.gateOpened) this.afterGate.push(isApiError(e, 'Fenced') ? 'Fenced' : String(e));
        throw e;
      } finally {
        if (counted) this.runTxnsInFlight--;
      }
    };
    return t;
  }
}

/** The jobs loop, noting how each key's pass ended once `recording` is set. */
class WatchedJobs extends JobsController {
  recording = false;
  readonly ended = new Map<string, string>();
  protected override async reconcile(key: string): Promise<ReconcileResult | void> {
    try {
      const r = await super.reconcile(key);
      if (this.recording) this.ended.set(key, 'ok');
      return r;
    } catch (e) {
      if (this.recording) this.ended.set(key, isApiError(e) ? e.code : String(e));
      throw e;
    }
  }
}

describe('a deposed leader of the job timers loop (real etcd)', () => {
  it('runs in flight when the lease is revoked write nothing after the revocation, the loop fails closed after it, and a later leader makes the slots left', async () => {
    const etcd = await startEtcd();
    const client = newEtcdClient({ endpoints: etcd.endpoint });
    const plain = new Store(client);
    const store = new WatchedStore(client);
    const informers = new InformerFactory(store, nopLogger);
    const leader = await becomeLeader(client);
    const ctl = new WatchedJobs({ store, informers, log: nopLogger, recorder: new MemoryRecorder() });
    let stopped = false;
    let next: { ctl: JobsController; informers: InformerFactory; leader: Awaited<ReturnType<typeof becomeLeader>> } | undefined;
    try {
      await ctl.start(leader.ctx);
      // one slot for every job, a moment ahead: the jobs exist before it, and at it all are due at once
      const slotMs = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
      const slot = new Date(slotMs).toISOString();
      // in a few transactions, not 200 round trips: the jobs must exist before the slot however loaded the machine
      const txns = splitTxns(names, () => plain.txn(), (txn, name) =>
        Store.addCreate(
          txn,
          JOB,
          applyDefaults({
            apiVersion: 'stowage/v1',
            kind: 'Job',
            metadata: { name, namespace: 'default' },
            spec: { schedule: `R1/${slot}/PT1H`, image: 'x', command: ['true'], resources: { cpus: 0.01, mem: 1 } },
          } as Job),
        ),
      );
      for (const { txn } of txns) assert.ok((await txn.commit()).succeeded);
      const jobs = (await plain.list<Job>(JOB, 'default')).items.map((s) => s.object);
      assert.equal(jobs.length, JOBS);
      const lastCreated = Math.max(...jobs.map((j) => Date.parse(j.metadata.creationTimestamp!)));
      assert.ok(lastCreated < slotMs, `every job was created before its slot ${slot} (the last at ${new Date(lastCreated).toISOString()}): raise LEAD_MS`);

      const runs = async () => (await client.getAll().prefix(specPrefix(JOBRUN, 'default')).keys()).length;
      // at the slot the first OPEN run-creating transactions commit (group commit packs several runs
      // in one); the others wait at the gate: the loop is mid-way
      await until('the first runs, the rest held', () => store.gate.held > 0 && store.runTxnsInFlight === store.gate.held, LEAD_MS + 20_000);
      const committedFirst = await runs();
      assert.ok(committedFirst >= OPEN && committedFirst < JOBS, `runs committed before the gate held the rest: ${committedFirst}, at least one for each of the ${OPEN} transactions let through, not all ${JOBS}`);

      const leaseId = leader.token.key.split('/').pop()!;
      await client.leaseClient.leaseRevoke({ ID: leaseId });
      const revokedAt = BigInt((await client.get('/').exec()).header.revision);
      await until('the election to notice it was deposed', () => !leader.election.holds(leader.token), 15_000);
      assert.throws(() => leader.ctx.fence(), /this term of leadership is over; write refused/);
      const builtAtDeposition = store.built;
      const heldAtOpen = store.gate.held;
      const committed = new Set((await plain.list<JobRun>(JOBRUN, 'default')).items.map((s) => s.object.spec.job));
      const uncommitted = names.filter((n) => !committed.has(n));

      store.gateOpened = true;
      ctl.recording = true;
      store.gate.open();
      // the held passes end, and the loop goes on through its queue: every job's pass
      await until('the pass of every job whose run was not written to end', () => uncommitted.every((n) => ctl.ended.has(`job/default/${n}`)), 20_000);
      await until('every held transaction to end', () => store.gate.held === 0 && store.afterGate.length >= heldAtOpen, 10_000);

      // nothing the loop wrote carries a revision after R
      const kvs = (await client.getAll().prefix(`${ROOT}/`).exec()).kvs;
      for (const p of ['jobs', 'jobruns', 'tasks', 'status/jobs', 'status/jobruns']) {
        assert.ok(kvs.some((kv) => kv.key.toString().startsWith(`${ROOT}/${p}/`)), `something under ${ROOT}/${p}/ to check`);
      }
      const late = kvs.filter((kv) => BigInt(kv.mod_revision) > revokedAt && !kv.key.toString().startsWith(LEADER_PREFIX));
      assert.deepEqual(late.map((kv) => `${kv.key.toString()} @${kv.mod_revision}`), [], `writes after the lease was revoked (revision ${revokedAt})`);

      // the held transactions went out with the old fence and were refused; every pass after
      // them failed closed: no transaction was even built after the deposition
      assert.ok(heldAtOpen > 0, 'transactions were held when the gate opened');
      assert.deepEqual([...new Set(store.afterGate)], ['Fenced'], 'how the transactions that went out after the deposition ended');
      assert.deepEqual(uncommitted.filter((n) => ctl.ended.get(`job/default/${n}`) !== 'Fenced'), [], 'jobs whose pass after the deposition did not end Fenced');
      assert.equal(store.built, builtAtDeposition, 'transactions built after the deposition (each write must fail closed before it is built)');

      // a slot whose run was not written has no run and no task, and its job's cursor did not pass it
      const state = await readAll(plain);
      assert.equal(state.runs.length, committedFirst);
      for (const j of state.jobs) {
        const name = j.metadata.name;
        const mine = state.runs.filter((r) => r.spec.job === name);
        const tasks = state.tasks.filter((t) => t.metadata.labels?.[JOB_LABEL] === name);
        if (committed.has(name)) {
          assert.deepEqual(mine.map((r) => r.metadata.name), [slotRunName(name, slotMs)]);
          assert.equal(tasks.length, 1, `${name}: its run's first task`);
          assert.equal(j.status?.lastScheduleTime, slot, `${name}: its status moved with its run`);
        } else {
          assert.deepEqual(mine.map((r) => r.metadata.name), [], `${name}: runs`);
          assert.deepEqual(tasks.map((t) => t.metadata.name), [], `${name}: tasks`);
          assert.equal(j.status?.lastScheduleTime, undefined, `${name}: lastScheduleTime (its slot is still to handle)`);
        }
      }

      // the next term, on the same etcd: it makes the slots left, each exactly once
      await ctl.stop();
      await leader.stop();
      stopped = true;
      const nextInformers = new InformerFactory(plain, nopLogger);
      next = { ctl: new JobsController({ store: plain, informers: nextInformers, log: nopLogger, recorder: new MemoryRecorder() }), informers: nextInformers, leader: await becomeLeader(client) };
      await next.ctl.start(next.leader.ctx);
      await until('a run for every slot', async () => (await runs()) >= JOBS, 20_000);
      const after = await readAll(plain);
      const problems = names.flatMap((name) =>
        auditSlots(name, { runs: after.runs.filter((r) => r.spec.job === name), tasks: after.tasks.filter((t) => t.metadata.labels?.[JOB_LABEL] === name) }, slotMs, slotMs, 1000).problems,
      );
      assert.deepEqual(problems, [], 'every slot has exactly one run, with its task');
      assert.equal(after.runs.length, JOBS);
      assert.ok(after.runs.every((r) => r.status?.state === 'Pending'), 'every slot ran (no Missed record)');
    } finally {
      store.gate.open();
      if (!stopped) {
        await ctl.stop();
        await leader.stop();
      }
      await next?.ctl.stop();
      await next?.leader.stop();
      await next?.informers.stop();
      await informers.stop();
      client.close();
      etcd.stop();
    }
  });
});

async function readAll(store: Store): Promise<{ jobs: Job[]; runs: JobRun[]; tasks: Task[] }> {
  const [jobs, runs, tasks] = await Promise.all([store.list<Job>(JOB, 'default'), store.list<JobRun>(JOBRUN, 'default'), store.list<Task>(TASK, 'default')]);
  return { jobs: jobs.items.map((s) => s.object), runs: runs.items.map((s) => s.object), tasks: tasks.items.map((s) => s.object) };
}
