/**
 * Events do not flood etcd at scale: the scheduler binding 10,000 tasks of
 * one service (real etcd, under a real election, with the real recorder)
 * writes one Scheduled Event about the service (a series: one bump per
 * binding transaction whose message differs from the last minute's), not
 * 10,000 Events; a handful of tasks get one Scheduled Event each, naming
 * the node.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type Event, type Node, type Task } from '../../pkg/api/types.js';
import { SchedulerController } from '../../pkg/controllers/scheduler/controller.js';
import { EventRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { Store } from '../../pkg/store/store.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import { runAsLeader } from '../helpers/leader.js';
import { writeAll } from '../helpers/sizes.js';
import { until } from '../helpers/wait.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const EVENT = lookupKind('Event')!;

const task = (name: string, svc: string): Task => ({
  apiVersion: API_VERSION,
  kind: 'Task',
  metadata: { name, namespace: 'default', labels: { 'stowage/owner': `service/${svc}` } },
  spec: { owner: `service/${svc}`, ownerUid: `uid-${svc}`, image: 'x', resources: { cpus: 0.001, mem: 1, disk: 0 } },
  status: { state: 'Pending' },
});
const node = (name: string): Node => ({
  apiVersion: API_VERSION, kind: 'Node', metadata: { name },
  spec: { capacity: { cpus: 1000, mem: 100_000, disk: 0 }, portRanges: [], attributes: {} }, status: { state: 'Ready' },
});

describe('events at scale (real etcd, fenced)', () => {
  const db = useEtcdStore();

  it('binding 10,000 tasks of one service writes one Scheduled series on the service; 3 tasks get one event each', async () => {
    for (let i = 0; i < 10; i++) await db.store.create(NODE, node(`scale-n${i}`));
    const informers = new InformerFactory(db.store, nopLogger);
    const recorder = new EventRecorder(db.store, 'leader', nopLogger);
    const loop = new SchedulerController({ store: db.store, informers, log: nopLogger, recorder, seed: 7 });
    const bound = async (prefix: string) => (await db.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.metadata.name.startsWith(prefix) && t.object.status?.state === 'Bound').length;
    const events = async () => (await db.store.list<Event>(EVENT, 'default')).items.map((s) => s.object);
    const leader = await runAsLeader(db.client, [loop]);
    try {
      const t0 = Date.now();
      await writeAll(db.store, Array.from({ length: 10_000 }, (_, i) => task(`big-${i}`, 'big')), (txn, t) => Store.addCreate(txn, TASK, t));
      await until('10,000 tasks bound', async () => (await bound('big-')) === 10_000, 120_000, 500);
      await recorder.flushed();
      const big = (await events()).filter((e) => e.metadata.labels?.['stowage/service'] === 'big');
      console.log(`# 10,000 tasks bound in ${Date.now() - t0} ms: ${big.length} Event object(s), counts ${big.map((e) => `${e.spec.reason}=${e.spec.count}`).join(', ')}`);
      assert.ok(big.length <= 5, `${big.length} Events for one service's 10,000 tasks`);
      assert.ok(big.every((e) => e.spec.involvedObject.kind === 'Service' && e.spec.reason === 'Scheduled'));
      assert.match(big[0]!.spec.message, /^assigned \d+ task\(s\) to \d+ node\(s\): scale-n\d \(\d+\)/);

      await writeAll(db.store, Array.from({ length: 3 }, (_, i) => task(`small-${i}`, 'small')), (txn, t) => Store.addCreate(txn, TASK, t));
      await until('3 tasks bound', async () => (await bound('small-')) === 3, 30_000, 100);
      await recorder.flushed();
      const small = (await events()).filter((e) => e.metadata.labels?.['stowage/service'] === 'small');
      assert.deepEqual(small.map((e) => [e.spec.involvedObject.kind, e.spec.reason]).sort(), [['Task', 'Scheduled'], ['Task', 'Scheduled'], ['Task', 'Scheduled']]);
      for (const e of small) assert.match(e.spec.message, new RegExp(`^assigned default/${e.spec.involvedObject.name} to scale-n\\d$`));
    } finally {
      await leader.stop();
      await informers.stop();
    }
  });
});
