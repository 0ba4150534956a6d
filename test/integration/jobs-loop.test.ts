/**
 * The job timers loop on a real etcd whose answers come late: a write is
 * applied (and the informers see it) well before the loop hears that it
 * went in; and the tasks' informer lags a little behind the runs'. A new run is created with its first task in one transaction; the
 * run's own pass starts from the run's informer event, before that answer.
 * It must find the task its status names and not start a second one beside
 * it (a run of parallelism 1 ran its command twice at once: seen in
 * test/e2e/jobs.test.ts under load; the loop reads such a task from etcd,
 * controller.ts tasksNamed).
 *
 *   test ──► Job (run once) ──► etcd ◄── JobsController (leader, LateStore: the first answer 800 ms late;
 *                                                        task events 300 ms late)
 *   test plays the agent: the first task Running
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { JOB_LABEL } from '../../pkg/api/jobs.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { OWNER_LABEL } from '../../pkg/api/labels.js';
import type { Job, JobRun, Task } from '../../pkg/api/types.js';
import { JobsController } from '../../pkg/controllers/jobs/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import type { Fence, Txn } from '../../pkg/store/txn.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { runAsLeader, type Leader } from '../helpers/leader.js';
import { sleep, until } from '../helpers/wait.js';

const JOB = lookupKind('Job')!;
const JOBRUN = lookupKind('JobRun')!;
const TASK = lookupKind('Task')!;
const LATE_MS = 800;
const TASK_EVENTS_LATE_MS = 300;

/** A real Store whose first transaction (the job's pass creating its run) answers LATE_MS after etcd applied it. */
class LateStore extends Store {
  private late = 1;
  override txn(fence?: Fence): Txn {
    const t = super.txn(fence);
    const commit = t.commit.bind(t);
    const late = this.late-- > 0;
    t.commit = async () => {
      const r = await commit();
      if (late) await sleep(LATE_MS);
      return r;
    };
    return t;
  }
}

describe('job timers loop: a run whose own pass comes before the write that created it answers', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let informers: InformerFactory;
  let leader: Leader;

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    informers = new InformerFactory(store, nopLogger);
    // the tasks' watch lags behind the runs' (two watches: their order is not guaranteed)
    const tasks = await informers.get<Task>('Task');
    const onChange = tasks.onChange.bind(tasks);
    tasks.onChange = (h) => onChange((e) => void setTimeout(() => h(e), TASK_EVENTS_LATE_MS));
    const ctl = new JobsController({ store: new LateStore(client), informers, log: nopLogger, recorder: new MemoryRecorder() });
    leader = await runAsLeader(client, [ctl]);
  });
  after(async () => {
    await leader?.stop();
    await informers?.stop();
    client?.close();
    etcd?.stop();
  });

  it('starts its first task once: no second task beside it', async () => {
    const job: Job = {
      apiVersion: 'stowage/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: 'default' },
      spec: { image: 'localhost/stowage-busybox:1', command: ['true'], resources: { cpus: 0.1, mem: 16, disk: 0 }, retries: 0, concurrencyPolicy: 'Allow' },
    };
    await store.create(JOB, job);
    const run = await until('the run of job once', async () =>
      (await store.list<JobRun>(JOBRUN, 'default')).items.map((s) => s.object).find((r) => r.metadata.labels?.[JOB_LABEL] === 'once'), 10_000);
    const tasksOfRun = async () =>
      (await store.list<Task>(TASK, 'default')).items.filter((s) => s.object.metadata.labels?.[OWNER_LABEL] === `jobrun/${run.metadata.name}`);
    const [first] = await until('its first task', async () => {
      const ts = await tasksOfRun();
      return ts.length > 0 && ts;
    }, 10_000);
    // the agent's word: Running; the run's pass (after the create answered) follows it
    await store.putStatus(TASK, 'default', first!.object.metadata.name, { state: 'Running', startedAt: new Date().toISOString() }, first!.statusRev);
    await until('the run Running', async () => (await store.get<JobRun>(JOBRUN, 'default', run.metadata.name))?.object.status?.state === 'Running', 10_000);
    assert.deepEqual((await tasksOfRun()).map((s) => s.object.metadata.name), [`${run.metadata.name}-00000`]);
    assert.deepEqual((await store.get<JobRun>(JOBRUN, 'default', run.metadata.name))?.object.status?.tasks, [`${run.metadata.name}-00000`]);
  });
});
