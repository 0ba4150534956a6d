/**
 * The scheduler loop at batch sizes around etcd's transaction budget (63,
 * 64, 65, 200, 1,000 pending tasks), under a real election (every write
 * carries the fence), against real etcd. Each case starts the loop on a
 * backlog, as a newly elected leader finds one, so one cycle handles all N:
 *
 *   N+1 pending, one node with room for N ──► N Bound (status, node status.tasks,
 *                                              assignment keys; 1 compare + 2 puts each,
 *                                              plus the node's), the last one told why not
 *   N pending that fit nowhere             ──► N pendingReason writes (2 compares, 1 put each)
 *
 * Every case also checks that nothing was refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type Node, type Task } from '../../pkg/api/types.js';
import { SchedulerController } from '../../pkg/controllers/scheduler/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { assignmentPrefix, specKey, statusKey } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import { runAsLeader } from '../helpers/leader.js';
import { SIZES, boundFor, deletePrefixes, refusals, untilUnrefused, writeAll } from '../helpers/sizes.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const MEM = 10;

const task = (name: string, pool: string): Task => ({
  apiVersion: API_VERSION,
  kind: 'Task',
  metadata: { name, namespace: 'default', labels: { 'stowage/owner': `service/${pool}` } },
  spec: { owner: `service/${pool}`, image: 'x', resources: { cpus: 0.01, mem: MEM, disk: 0 }, constraints: [['pool', 'CLUSTER', pool]] },
  status: { state: 'Pending' },
});

describe('scheduler loop at batch sizes (real etcd, fenced)', () => {
  const db = useEtcdStore();

  /** Run the scheduler as the leader while f runs. */
  async function withScheduler<T>(f: () => Promise<T>): Promise<T> {
    const informers = new InformerFactory(db.store, nopLogger);
    const loop = new SchedulerController({ store: db.store, informers, log: nopLogger, recorder: new MemoryRecorder(), seed: 7 });
    const leader = await runAsLeader(db.client, [loop]);
    try {
      return await f();
    } finally {
      await leader.stop();
      await informers.stop();
    }
  }

  const nodeOf = (name: string, pool: string, mem: number): Node => ({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name },
    spec: { capacity: { cpus: 1000, mem, disk: 0 }, portRanges: [], attributes: { pool } },
    status: { state: 'Ready' },
  });

  /** The case's node and tasks gone, so the next case's scheduler has nothing of them left to act on. */
  const forget = (node: string, pool: string) =>
    deletePrefixes(db.client, [specKey(NODE, undefined, node), statusKey(NODE, undefined, node), assignmentPrefix(node), specKey(TASK, 'default', `${pool}-t`), statusKey(TASK, 'default', `${pool}-t`)]);

  const tasksNamed = async (prefix: string) => (await db.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.metadata.name.startsWith(prefix));

  for (const n of SIZES) {
    it(`${n + 1} pending tasks, one node with room for ${n}: ${n} bound, no over-commit, the last one told why`, async () => {
      const pool = `fit-${n}`;
      const node = `big-${n}`;
      try {
        await db.store.create(NODE, nodeOf(node, pool, MEM * n));
        const tasks = Array.from({ length: n + 1 }, (_, i) => task(`${pool}-t${i}`, pool));
        await writeAll(db.store, tasks, (txn, t) => Store.addCreate(txn, TASK, t));
        const refusedBefore = await refusals();

        const { bound, waiting } = await withScheduler(() =>
          untilUnrefused(`${n} tasks bound to ${node} and 1 told why not`, refusedBefore, async () => {
            const l = await tasksNamed(`${pool}-`);
            const bound = l.filter((t) => t.object.status?.state === 'Bound');
            const waiting = l.filter((t) => t.object.status?.state === 'Pending' && t.object.status.pendingReason);
            if (bound.length !== n || waiting.length !== 1) throw new Error(`${bound.length} of ${n} bound, ${waiting.length} of 1 told why not`);
            return { bound, waiting };
          }, boundFor(n)),
        );
        for (const t of bound) assert.equal(t.object.status?.nodeName, node, t.object.metadata.name);
        assert.equal(waiting[0]!.object.status!.pendingReason, '0/1 nodes fit: 1 insufficient mem');
        const st = (await db.store.get<Node>(NODE, undefined, node))!.object.status!;
        const names = bound.map((t) => t.object.metadata.name).sort();
        assert.deepEqual(Object.keys(st.tasks ?? {}).sort(), names.map((x) => `default/${x}`), "the node's allocation is exactly its bound tasks");
        assert.equal(st.allocated?.mem, MEM * n, 'allocated');
        assert.equal(st.free?.mem, 0, 'free (never below 0: no over-commit)');
        const assigned = (await db.client.getAll().prefix(assignmentPrefix(node)).keys()).map((k) => k.slice(assignmentPrefix(node).length + 'default/'.length)).sort();
        assert.deepEqual(assigned, names, "the agent's assignments are exactly the bound tasks");
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      } finally {
        await forget(node, pool);
      }
    });
  }

  for (const n of SIZES) {
    it(`${n} pending tasks that fit nowhere: all ${n} told why`, async () => {
      const pool = `nowhere-${n}`;
      const node = `elsewhere-${n}`;
      try {
        await db.store.create(NODE, nodeOf(node, 'elsewhere', MEM * n));
        await writeAll(db.store, Array.from({ length: n }, (_, i) => task(`${pool}-t${i}`, pool)), (txn, t) => Store.addCreate(txn, TASK, t));
        const refusedBefore = await refusals();
        const waiting = await withScheduler(() =>
          untilUnrefused(`all ${n} tasks told why they wait`, refusedBefore, async () => {
            const l = await tasksNamed(`${pool}-`);
            const told = l.filter((t) => t.object.status?.pendingReason);
            if (l.length !== n || told.length !== n) throw new Error(`${told.length} of ${n} told why (${l.length} tasks)`);
            return told;
          }, boundFor(n)),
        );
        for (const t of waiting) {
          assert.equal(t.object.status?.state, 'Pending', t.object.metadata.name);
          assert.equal(t.object.status?.nodeName, undefined, t.object.metadata.name);
          assert.equal(t.object.status!.pendingReason, `0/1 nodes fit: 1 constraint pool CLUSTER ${pool}`, t.object.metadata.name);
        }
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      } finally {
        await forget(node, pool);
      }
    });
  }
});
