import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import type { Node, Task } from '../../api/types.js';
import { addBindings } from '../../store/binding.js';
import { DEFAULT_MAX_TXN_OPS, Txn } from '../../store/txn.js';
import { isPending, planBatches, scheduledEvents, waitingChanged } from './compute.js';

const p = (taskKey: string, node: string) => ({ taskKey, node, ports: {} });

describe('scheduler compute', () => {
  it('packs whole nodes into transactions of at most maxOps (1 + 2 per task)', () => {
    const ps = [p('a', 'n1'), p('b', 'n1'), p('c', 'n2'), p('d', 'n3'), p('e', 'n3')];
    // n1: 5 ops, n2: 3, n3: 5 -> with 10 ops per txn: [n1, n2] [n3]
    const batches = planBatches(ps, 10);
    assert.deepEqual(batches.map((b) => b.map((x) => `${x.node}:${x.placements.length}`)), [['n1:2', 'n2:1'], ['n3:2']]);
  });

  it('cuts a node with more placements than one transaction holds into chunks, each in a transaction of its own', () => {
    const ps = [...Array.from({ length: 70 }, (_, i) => p(`t${i}`, 'n1')), p('x', 'n2')];
    const batches = planBatches(ps, 128);
    assert.deepEqual(batches.map((b) => b.map((x) => `${x.node}:${x.placements.length}`)), [['n1:63'], ['n1:7', 'n2:1']]);
  });

  it("every batch, bound as the loop binds it (fence, node, tasks with no status yet), fits etcd's budget", () => {
    const node = (name: string) => ({ object: { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: { capacity: { cpus: 64, mem: 65536, disk: 0 }, portRanges: [], attributes: {} } } as Node, specRev: '1', statusRev: '2' });
    const task = (name: string) => ({ object: { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: { image: 'x', resources: { cpus: 0.01, mem: 1, disk: 0 } } } as Task, specRev: '3', statusRev: '0' });
    // uneven nodes, so that several share a transaction up to its edge
    const ps = [31, 32, 5, 1, 63, 64, 200, 7, 2].flatMap((n, i) => Array.from({ length: n }, (_, j) => p(`t${i}-${j}`, `n${i}`)));
    const batches = planBatches(ps, DEFAULT_MAX_TXN_OPS - 1);
    const client = { kv: { txn: () => assert.fail('not sent') } } as unknown as Etcd3;
    for (const b of batches) {
      const txn = new Txn(client).fence({ key: '/stowage/leader/1', createRevision: '1' });
      for (const x of b) addBindings(txn, node(x.node), x.placements.map((q) => ({ task: task(q.taskKey), ports: {} })));
      assert.ok(txn.fits(), `${b.map((x) => `${x.node}:${x.placements.length}`).join(' ')}: ${txn.compareCount} compares, ${txn.size} writes`);
    }
    assert.equal(batches.flat().reduce((n, x) => n + x.placements.length, 0), ps.length);
  });

  it('treats a task as pending while its status says so and it is not being killed', () => {
    const t = (state?: string, desiredState?: 'Killed'): Task =>
      ({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'a' }, spec: { image: 'x', resources: { cpus: 1, mem: 1, disk: 0 }, desiredState }, status: state ? { state } : undefined }) as Task;
    assert.equal(isPending(t()), false, 'its Pending status is on its way');
    assert.equal(isPending(t('Pending')), true);
    assert.equal(isPending(t('Bound')), false);
    assert.equal(isPending(t('Pending', 'Killed')), false);
  });

  it('writes a pending reason only when it changed', () => {
    const w = { taskKey: 'default/a', reason: 'Unschedulable' as const, summary: '0/1 nodes fit: 1 insufficient mem', counts: { 'insufficient mem': 1 } };
    assert.equal(waitingChanged(undefined, w), true);
    assert.equal(waitingChanged({ state: 'Pending', pendingReason: w.summary, pendingDetails: { 'insufficient mem': 1 } }, w), false);
    assert.equal(waitingChanged({ state: 'Pending', pendingReason: w.summary, pendingDetails: { 'insufficient mem': 2 } }, w), true);
  });
});

describe('scheduledEvents', () => {
  const task = (name: string, owner = 'service/web'): Task => ({
    apiVersion: 'stowage/v1', kind: 'Task',
    metadata: { name, namespace: 'default', labels: { 'stowage/owner': owner } },
    spec: { owner, ownerUid: `uid-${owner}` } as Task['spec'],
  });

  it('a small cycle: one event per task, naming its node', () => {
    const ev = scheduledEvents([{ node: 'n1', tasks: [task('web-a')] }, { node: 'n2', tasks: [task('web-b')] }], true);
    assert.deepEqual(ev.map((e) => [e.about.kind, e.about.metadata.name, e.message]), [
      ['Task', 'web-a', 'assigned default/web-a to n1'],
      ['Task', 'web-b', 'assigned default/web-b to n2'],
    ]);
  });

  it('a big cycle: one event per owner, however many tasks, with the busiest nodes', () => {
    const bound = Array.from({ length: 8 }, (_, i) => ({ node: `n${i}`, tasks: Array.from({ length: 100 + i }, (_, j) => task(`web-${i}-${j}`)) }));
    bound.push({ node: 'n0', tasks: [task('api-1', 'service/api')] });
    const ev = scheduledEvents(bound, false);
    assert.equal(ev.length, 2);
    assert.deepEqual(ev[0]!.about.metadata, { name: 'web', namespace: 'default', uid: 'uid-service/web' });
    assert.equal(ev[0]!.about.kind, 'Service');
    assert.equal(ev[0]!.message, 'assigned 828 task(s) to 8 node(s): n7 (107), n6 (106), n5 (105), n4 (104), n3 (103), and 3 more');
    assert.equal(ev[1]!.message, 'assigned 1 task(s) to 1 node(s): n0 (1)');
  });
});
