/**
 * The node-lifecycle loop at batch sizes around etcd's transaction budget
 * (63, 64, 65, 200, 1,000 tasks on one node), under a real election (every
 * write carries the fence), against real etcd, with the real EventRecorder:
 *
 *   heartbeat deleted ──► node NotReady, every task Unreachable ──(grace 1 s)──► every task Lost,
 *                         every assignment withdrawn, NodeNotReady and NodeLost events
 *   heartbeat back within the grace ──► node Ready, every task Running again
 *
 * A fence plus 64 status writes (2 compares each) is 129 compares: a loop
 * that batches by its writes alone has etcd refuse the transaction, and
 * the node is never recovered. Every case also checks that nothing was
 * refused (stowage_etcd_refused_total, reconciles that ended Refused).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Watcher } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type Event, type Node, type Task } from '../../pkg/api/types.js';
import { NodeLifecycleController } from '../../pkg/controllers/nodes/controller.js';
import { EventRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { summarize } from '../../pkg/store/binding.js';
import { assignmentKey, assignmentPrefix, heartbeatKey, specKey, statusKey, statusPrefix } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import { runAsLeader, type Leader } from '../helpers/leader.js';
import { SIZES, boundFor, deletePrefixes, refusals, untilUnrefused, writeAll } from '../helpers/sizes.js';
import { until } from '../helpers/wait.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const EVENT = lookupKind('Event')!;

describe('node lifecycle at batch sizes (real etcd, fenced)', () => {
  const db = useEtcdStore();

  /** The node-lifecycle loop as the leader runs it, with `graceMs`; its task cache, to wait on. */
  function useLoop(graceMs: number): { informers: InformerFactory } {
    const it = {} as { informers: InformerFactory; leader: Leader };
    before(async () => {
      it.informers = new InformerFactory(db.store, nopLogger);
      // the leader's recorder: its events carry the term's fence, as `stowage server` writes them
      const recorder = new EventRecorder(db.store, 'leader', nopLogger, () => it.leader.election.fence());
      const loop = new NodeLifecycleController({ store: db.store, informers: it.informers, log: nopLogger, recorder, graceMs });
      it.leader = await runAsLeader(db.client, [loop]);
    });
    after(async () => {
      await it.leader?.stop();
      await it.informers?.stop();
    });
    return it;
  }

  const taskNames = (node: string, n: number) => Array.from({ length: n }, (_, i) => `${node}-t${i}`);

  /** A Ready, heartbeating node with n Running tasks bound to it (allocation, statuses, assignment keys). */
  async function nodeWithTasks(node: string, n: number, informers: InformerFactory): Promise<void> {
    await db.client.put(heartbeatKey(node)).value('alive');
    const tasks: Task[] = taskNames(node, n).map((name) => ({
      apiVersion: API_VERSION,
      kind: 'Task',
      metadata: { name, namespace: 'default' },
      spec: { image: 'x', resources: { cpus: 0.01, mem: 1, disk: 0 } },
      status: { state: 'Running', nodeName: node, startedAt: new Date().toISOString() },
    }));
    await writeAll(db.store, tasks, (txn, t) => {
      Store.addCreate(txn, TASK, t);
      txn.put(assignmentKey(node, 'default', t.metadata.name), JSON.stringify(t));
    });
    const obj: Node = { apiVersion: API_VERSION, kind: 'Node', metadata: { name: node }, spec: { capacity: { cpus: 1000, mem: 100_000, disk: 0 }, portRanges: [], attributes: {} } };
    const alloc = Object.fromEntries(tasks.map((t) => [`default/${t.metadata.name}`, { cpus: 0.01, mem: 1, disk: 0, ports: [] }]));
    // the node and its status in one write, as the loop would otherwise write a status of its own first
    await db.store.create(NODE, { ...obj, status: { state: 'Ready', ...summarize(obj, alloc) } });
    // the loop's caches hold the node and all its tasks before its heartbeat stops
    const [nodes, cache] = [await informers.get<Node>('Node'), await informers.get<Task>('Task')];
    await until(`the loop's caches to hold node ${node} and its ${n} tasks`, () => {
      const ok = nodes.get(`_/${node}`)?.object.status?.state === 'Ready';
      const have = taskNames(node, n).filter((name) => cache.get(`default/${name}`)).length;
      if (!ok || have < n) throw new Error(`node cached: ${ok}, tasks cached: ${have}`);
      return true;
    }, boundFor(n));
  }

  /** Every state each task's status passed through, from a watch opened now. */
  async function watchStates(node: string): Promise<{ states: Map<string, string[]>; stop(): Promise<void> }> {
    const prefix = `${statusPrefix(TASK, 'default')}${node}-t`;
    const states = new Map<string, string[]>();
    const w: Watcher = await db.client.watch().prefix(prefix).create();
    w.on('put', (kv) => {
      const name = kv.key.toString().slice(prefix.length - `${node}-t`.length);
      const l = states.get(name) ?? [];
      l.push((JSON.parse(kv.value.toString()) as Task['status'])!.state);
      states.set(name, l);
    });
    return { states, stop: () => w.cancel() };
  }

  /** Everything of the node's, gone: the next case's loop has nothing of it to act on. */
  const forget = (node: string) =>
    deletePrefixes(db.client, [
      heartbeatKey(node),
      specKey(NODE, undefined, node),
      statusKey(NODE, undefined, node),
      specKey(TASK, 'default', `${node}-t`),
      statusKey(TASK, 'default', `${node}-t`),
      assignmentPrefix(node),
    ]);

  const tasksOf = async (node: string) => (await db.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.status?.nodeName === node);
  const assignments = async (node: string) => (await db.client.getAll().prefix(assignmentPrefix(node)).keys()).length;
  const nodeState = async (node: string) => (await db.store.get<Node>(NODE, undefined, node))?.object.status?.state;
  const eventsOf = async (node: string, reason: string) =>
    (await db.store.list<Event>(EVENT, 'default')).items.map((e) => e.object.spec).filter((e) => e.involvedObject.name === node && e.reason === reason);

  /** Fails (for until) saying how many of n tasks are not yet in `state`. */
  const allIn = async (node: string, n: number, state: string) => {
    const ts = await tasksOf(node);
    const done = ts.filter((t) => t.object.status?.state === state).length;
    if (ts.length !== n || done !== n) throw new Error(`${done} of ${n} tasks ${state} (${ts.length} listed)`);
    return ts;
  };

  describe('the heartbeat stops for good: Unreachable, then Lost after a 1 s grace', () => {
    const loop = useLoop(1000);

    for (const n of SIZES) {
      it(`${n} tasks: all Unreachable, then all Lost, all assignments withdrawn, NodeNotReady and NodeLost written`, async () => {
        const node = `lost-${n}`;
        let watch: Awaited<ReturnType<typeof watchStates>> | undefined;
        try {
          await nodeWithTasks(node, n, loop.informers);
          const refusedBefore = await refusals();
          watch = await watchStates(node);
          const seen = watch.states;
          await db.client.delete().key(heartbeatKey(node));

          const lost = await untilUnrefused(`all ${n} tasks on ${node} Lost`, refusedBefore, () => allIn(node, n, 'Lost'), boundFor(n));
          for (const t of lost) {
            assert.equal(t.object.status?.reason, 'NodeLost', t.object.metadata.name);
            assert.equal(t.object.status?.stateBeforeUnreachable, undefined, t.object.metadata.name);
          }
          // every task was Unreachable first (seen on the watch), then Lost
          await untilUnrefused(`the watch to see all ${n} tasks Lost`, refusedBefore, () => [...seen.values()].filter((s) => s.at(-1) === 'Lost').length === n, boundFor(n));
          const skipped = taskNames(node, n).filter((name) => {
            const s = seen.get(name) ?? [];
            return !(s.includes('Unreachable') && s.indexOf('Unreachable') < s.indexOf('Lost'));
          });
          assert.deepEqual(skipped, [], 'tasks that were never Unreachable before Lost');
          assert.equal(await nodeState(node), 'NotReady');
          await untilUnrefused(`all ${n} assignments on ${node} withdrawn`, refusedBefore, async () => (await assignments(node)) === 0, boundFor(n));

          const notReady = await untilUnrefused('a NodeNotReady event', refusedBefore, async () => (await eventsOf(node, 'NodeNotReady'))[0], boundFor(n));
          assert.equal(notReady.message, `node ${node} stopped heartbeating; its ${n} task(s) are Unreachable`);
          assert.equal(notReady.type, 'Warning');
          // Lost in one pass, or in several when a pass lost a race with its own cache (identical repeats are deduplicated)
          const nodeLost = await untilUnrefused('a NodeLost event', refusedBefore, async () => {
            const l = await eventsOf(node, 'NodeLost');
            return l.length > 0 && l;
          }, boundFor(n));
          let counted = 0;
          for (const e of nodeLost) {
            const m = new RegExp(`^(\\d+) task\\(s\\) on node ${node} are Lost and will be replaced$`).exec(e.message);
            assert.ok(m, e.message);
            counted += Number(m[1]);
          }
          assert.ok(counted > 0 && counted <= n, `NodeLost events count ${counted} of ${n} tasks`);
          assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
        } finally {
          await watch?.stop();
          await forget(node);
        }
      });
    }
  });

  describe('the heartbeat comes back within the grace: every task Running again', () => {
    const loop = useLoop(10 * 60_000);

    for (const n of SIZES) {
      it(`${n} tasks: all Unreachable, then all Running again with their assignments`, async () => {
        const node = `back-${n}`;
        try {
          await nodeWithTasks(node, n, loop.informers);
          const refusedBefore = await refusals();
          await db.client.delete().key(heartbeatKey(node));
          const unreachable = await untilUnrefused(`all ${n} tasks on ${node} Unreachable`, refusedBefore, () => allIn(node, n, 'Unreachable'), boundFor(n));
          for (const t of unreachable) assert.equal(t.object.status?.stateBeforeUnreachable, 'Running', t.object.metadata.name);
          assert.equal(await nodeState(node), 'NotReady');

          await db.client.put(heartbeatKey(node)).value('alive again');
          const running = await untilUnrefused(`all ${n} tasks on ${node} Running again`, refusedBefore, () => allIn(node, n, 'Running'), boundFor(n));
          for (const t of running) {
            assert.equal(t.object.status?.stateBeforeUnreachable, undefined, t.object.metadata.name);
            assert.equal(t.object.status?.unreachableSince, undefined, t.object.metadata.name);
          }
          assert.equal(await nodeState(node), 'Ready');
          assert.equal(await assignments(node), n, 'every assignment kept');
          await untilUnrefused('a NodeReady event', refusedBefore, async () => (await eventsOf(node, 'NodeReady')).length === 1, boundFor(n));
          assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
        } finally {
          await forget(node);
        }
      });
    }
  });
});
