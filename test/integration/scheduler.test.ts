/**
 * The scheduler loop against real etcd: two schedulers racing over the same
 * pending tasks (as a deposed and a new leader might, were it not for
 * fencing) never over-commit a node, never hand out a port twice, and every
 * binding is mirrored in its node's allocation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node, Task } from '../../pkg/api/types.js';
import { SchedulerController } from '../../pkg/controllers/scheduler/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import * as metrics from '../../pkg/metrics/metrics.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { Gate, GatedStore } from '../helpers/gated-store.js';
import { runAsLeader } from '../helpers/leader.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;

const node = (name: string, rack: string): Node => ({
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name },
  spec: { capacity: { cpus: 1, mem: 1024, disk: 0 }, portRanges: [{ begin: 40000, end: 40004 }], attributes: { rack } },
});
const task = (name: string, owner: string, extra: Partial<Task['spec']> = {}): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name, namespace: 'default', labels: { 'stowage/owner': owner } },
  spec: { owner, image: 'x', resources: { cpus: 0.3, mem: 100, disk: 0 }, ports: [{ name: 'http' }], ...extra },
  status: { state: 'Pending' },
});


describe('scheduler loop (real etcd)', () => {
  let etcd: TestEtcd;
  const clients: Etcd3[] = [];
  const stops: (() => Promise<void>)[] = [];
  let store: Store;

  before(async () => {
    etcd = await startEtcd();
    const c = newEtcdClient({ endpoints: etcd.endpoint });
    clients.push(c);
    store = new Store(c);
  });
  after(async () => {
    for (const s of stops) await s();
    for (const c of clients) c.close();
    etcd.stop();
  });

  /** Both schedulers' bindings wait here until each has decided: they must race. */
  const gate = new Gate();

  async function startScheduler(seed: number): Promise<void> {
    const c = newEtcdClient({ endpoints: etcd.endpoint });
    clients.push(c);
    const s = new GatedStore(c, gate);
    const informers = new InformerFactory(s, nopLogger);
    const ctl = new SchedulerController({ store: s, informers, log: nopLogger, recorder: new MemoryRecorder(), seed });
    // each racer leads its own election: a real fence on every write, and still a race between them
    const leader = await runAsLeader(c, [ctl], `/stowage/leader-test-${seed}/`);
    stops.push(async () => {
      await leader.stop();
      await informers.stop();
    });
  }

  it('two racing schedulers never over-commit cpus or ports, and a task that fits nowhere says why', async () => {
    for (const [i, rack] of ['a', 'b', 'c', 'd'].entries()) {
      const n = await store.create(NODE, node(`n${i}`, rack));
      await store.putStatus(NODE, undefined, n.object.metadata.name, { state: 'Ready' }, '0');
    }
    // 4 nodes x 1 cpu, 0.3 cpu per task: at most 3 per node, 12 in all; 16 asked for
    const created: string[] = [];
    for (let i = 0; i < 16; i++) {
      await store.create(TASK, task(`t${i}`, `service/s${i % 4}`));
      created.push(`t${i}`);
    }
    const conflicts = async () => (await metrics.schedulerPlacements.get()).values.find((v) => v.labels.result === 'conflict')?.value ?? 0;
    const conflictsBefore = await conflicts();
    const unschedulable = async () => (await metrics.schedulerPlacementFailures.get()).values.find((v) => v.labels.reason === 'Unschedulable')?.value ?? 0;
    const unschedulableBefore = await unschedulable();
    await Promise.all([startScheduler(1), startScheduler(2)]);
    // each has placed the same tasks from the same view before either commits
    await until('both schedulers to hold bindings', () => gate.held >= 2, 15000);
    gate.open();
    await until('12 bound and 4 pending with a reason', async () => {
      const l = await store.list<Task>(TASK);
      return l.items.filter((t) => t.object.status?.state === 'Bound').length === 12 && l.items.filter((t) => t.object.status?.pendingReason).length === 4;
    }, 15000);

    const tasks = (await store.list<Task>(TASK)).items.map((s) => s.object);
    const nodes = (await store.list<Node>(NODE)).items.map((s) => s.object);
    for (const n of nodes) {
      const mine = tasks.filter((t) => t.status?.nodeName === n.metadata.name);
      const cpus = mine.reduce((sum, t) => sum + t.spec.resources.cpus, 0);
      assert.ok(cpus <= n.spec.capacity.cpus + 1e-9, `${n.metadata.name} over-committed: ${cpus} cpus`);
      const ports = mine.map((t) => t.status!.ports!.http!);
      assert.equal(new Set(ports).size, ports.length, `${n.metadata.name} gave a port twice: ${ports}`);
      for (const p of ports) assert.ok(p >= 40000 && p <= 40004, `port ${p} outside the node's range`);
      // the node's allocation is exactly its bound tasks
      assert.deepEqual(Object.keys(n.status?.tasks ?? {}).sort(), mine.map((t) => `default/${t.metadata.name}`).sort());
      assert.equal(n.status?.allocated?.cpus, Math.round(cpus * 1000) / 1000);
      // and the agent's view (assignment keys) matches too
      const assigned = await store.client.getAll().prefix(`/stowage/assignments/${n.metadata.name}/`).keys();
      assert.equal(assigned.length, mine.length);
    }
    assert.ok((await conflicts()) > conflictsBefore, 'the two schedulers raced: one lost compare-and-swaps and placed again');
    const waiting = tasks.filter((t) => t.status?.state === 'Pending');
    assert.equal(waiting.length, 4);
    for (const t of waiting) assert.match(t.status!.pendingReason!, /^0\/4 nodes fit: 4 insufficient cpus$/);
    assert.ok((await unschedulable()) - unschedulableBefore >= 4, 'the tasks that fit nowhere are counted in stowage_scheduler_placement_failures_total{reason="Unschedulable"}');
  });
});
