import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { place } from './place.js';
import { ClusterSnapshot } from './snapshot.js';
import { mkNode, mkReq, mkTask, snap } from './testkit.js';

const alloc = (cpus: number, mem = 0, ports: number[] = []) => ({ cpus, mem, disk: 0, ports });

describe('ClusterSnapshot: nodes', () => {
  it('free capacity follows status.tasks', () => {
    const s = snap([mkNode('a', { cpus: 4, tasks: { 'default/x': alloc(1.5, 100) } })]);
    assert.equal(s.node('a')!.freeCpu, 2500);
    assert.equal(s.node('a')!.freeMem, 3996);
    s.setNode(mkNode('a', { cpus: 4, tasks: {} }));
    assert.equal(s.node('a')!.freeCpu, 4000);
    assert.deepEqual(s.namespaceUsage('default'), { cpu: 0, mem: 0, disk: 0 });
  });

  it('a Node applied by hand before its agent registered (no capacity, no port ranges) offers nothing', () => {
    const s = snap([]);
    s.setNode({ apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'bare' }, spec: {} } as unknown as Parameters<typeof s.setNode>[0]);
    assert.equal(s.node('bare')!.freeCpu, 0);
    assert.equal(s.node('bare')!.freeMem, 0);
  });

  it('capacity changes keep what tasks hold', () => {
    const s = snap([mkNode('a', { cpus: 4, tasks: { 'default/x': alloc(1) } })]);
    s.setNode(mkNode('a', { cpus: 8, tasks: { 'default/x': alloc(1) } }));
    assert.equal(s.node('a')!.freeCpu, 7000);
    assert.equal(s.totals.cpu, 8000);
  });

  it('totals count Ready nodes, cordoned included; the grid only schedulable ones', () => {
    const s = snap([mkNode('a', { cpus: 4 }), mkNode('b', { cpus: 2, unschedulable: true }), mkNode('c', { cpus: 1, state: 'NotReady' })]);
    assert.equal(s.totals.cpu, 6000);
    assert.equal(s.schedulableCount, 1);
    s.setNode(mkNode('b', { cpus: 2 }));
    assert.equal(s.schedulableCount, 2);
    s.setNode(mkNode('a', { cpus: 4, state: 'NotReady' }));
    assert.equal(s.schedulableCount, 1);
    assert.equal(s.totals.cpu, 2000);
  });

  it('removeNode forgets its allocations and its tasks’ owner counts', () => {
    const s = snap([mkNode('a'), mkNode('b')]);
    s.assume(mkReq('t', { owner: 'service/w', cpus: 1 }), 'a', {});
    s.removeNode('a');
    assert.equal(s.node('a'), undefined);
    assert.equal(s.owner('default', 'service/w'), undefined);
    assert.equal(s.namespaceUsage('default').cpu, 0);
    assert.deepEqual(s.nodes.map((n) => n.name), ['b']);
    assert.equal(s.schedulableCount, 1);
  });

  it('a changed port range keeps the ports in use', () => {
    const s = snap([mkNode('a', { ports: [[100, 104]], tasks: { 'default/x': alloc(0, 0, [101]) } })]);
    s.setNode(mkNode('a', { ports: [[100, 109]], tasks: { 'default/x': alloc(0, 0, [101]) } }));
    assert.equal(s.node('a')!.ports.free, 9);
    assert.equal(s.node('a')!.ports.isFree(101), false);
  });

  it('a node that changes rack moves its tasks’ counts with it', () => {
    const s = snap([mkNode('a', { attrs: { rack: 'r1' } }), mkNode('b', { attrs: { rack: 'r2' } })]);
    const req = mkReq('t1', { owner: 'service/w', constraints: [['rack', 'UNIQUE']] });
    const r = place(req, s);
    assert.ok(r.ok);
    s.assume(req, r.ok ? r.node : '', {});
    const other = r.ok && r.node === 'a' ? 'b' : 'a';
    s.setNode(mkNode(other, { attrs: { rack: r.ok && r.node === 'a' ? 'r1' : 'r2' } }));
    // Both nodes now share the rack that holds the task.
    assert.equal(place(mkReq('t2', { owner: 'service/w', constraints: [['rack', 'UNIQUE']] }), s).ok, false);
  });
});

describe('ClusterSnapshot: assumed placements', () => {
  it('survive a node update that does not list them yet, then are confirmed', () => {
    const s = snap([mkNode('a', { cpus: 4 })]);
    s.assume(mkReq('t', { cpus: 1 }), 'a', {});
    s.setNode(mkNode('a', { cpus: 4, tasks: {} }));
    assert.equal(s.node('a')!.freeCpu, 3000);
    s.setNode(mkNode('a', { cpus: 4, tasks: { 'default/t': alloc(1) } }));
    assert.equal(s.node('a')!.freeCpu, 3000);
    // Confirmed: a later status without it releases it.
    s.setNode(mkNode('a', { cpus: 4, tasks: {} }));
    assert.equal(s.node('a')!.freeCpu, 4000);
  });

  it('forget undoes an assumed placement, not a committed one', () => {
    const s = snap([mkNode('a', { cpus: 4, ports: [[100, 101]] })]);
    s.assume(mkReq('t', { cpus: 1, owner: 'service/w' }), 'a', { http: 100 });
    assert.equal(s.node('a')!.ports.isFree(100), false);
    s.forget('default/t');
    assert.equal(s.node('a')!.freeCpu, 4000);
    assert.equal(s.node('a')!.ports.isFree(100), true);
    assert.equal(s.owner('default', 'service/w'), undefined);
    s.setNode(mkNode('a', { cpus: 4, tasks: { 'default/u': alloc(1) } }));
    s.forget('default/u');
    assert.equal(s.node('a')!.freeCpu, 3000);
  });

  it('assuming the same task twice is a bug', () => {
    const s = snap([mkNode('a')]);
    s.assume(mkReq('t'), 'a', {});
    assert.throws(() => s.assume(mkReq('t'), 'a', {}), /already holds resources on a/);
  });

  it('usage per namespace includes assumed placements', () => {
    const s = snap([mkNode('a', { cpus: 4 })]);
    s.assume(mkReq('t', { namespace: 'team', cpus: 1.5, mem: 10 }), 'a', {});
    assert.deepEqual(s.namespaceUsage('team'), { cpu: 1500, mem: 10, disk: 0 });
  });
});

describe('ClusterSnapshot: tasks and owners', () => {
  const unique = (key: string) => mkReq(key, { owner: 'service/w', constraints: [['hostname', 'UNIQUE']] });

  it('a running task counts for its owner; an ended one does not', () => {
    const s = ClusterSnapshot.from([mkNode('a')], [mkTask('x', { owner: 'service/w', node: 'a' })]);
    assert.equal(place(unique('t'), s).ok, false);
    s.setTask(mkTask('x', { owner: 'service/w', node: 'a', state: 'Failed' }));
    assert.equal(place(unique('t'), s).ok, true);
  });

  it('removeTask drops the count', () => {
    const s = ClusterSnapshot.from([mkNode('a')], [mkTask('x', { owner: 'service/w', node: 'a' })]);
    s.removeTask('default/x');
    assert.equal(place(unique('t'), s).ok, true);
  });

  it('a stale Pending event does not undo an assumed placement; the Bound event confirms it', () => {
    const s = snap([mkNode('a')]);
    s.assume(unique('x'), 'a', {});
    s.setTask(mkTask('x', { owner: 'service/w', state: 'Pending' }));
    assert.equal(place(unique('t'), s).ok, false);
    s.setTask(mkTask('x', { owner: 'service/w', node: 'a', state: 'Bound' }));
    s.forget('default/x'); // confirmed membership stays
    assert.equal(place(unique('t'), s).ok, false);
  });

  it('a task bound to a node not known yet counts once the node arrives', () => {
    const s = ClusterSnapshot.from([mkNode('b')], [mkTask('x', { owner: 'service/w', node: 'a' })]);
    s.setNode(mkNode('a'));
    const r = place(unique('t'), s);
    assert.equal(r.ok && r.node, 'b');
  });

  it('a node that leaves and comes back brings its tasks’ counts back', () => {
    const s = ClusterSnapshot.from([mkNode('a'), mkNode('b')], [mkTask('x', { owner: 'service/w', node: 'a' })]);
    s.removeNode('a');
    assert.equal(s.owner('default', 'service/w'), undefined);
    s.setNode(mkNode('a'));
    const r = place(unique('t'), s);
    assert.equal(r.ok && r.node, 'b');
    s.removeNode('a');
    s.removeTask('default/x');
    s.setNode(mkNode('a'));
    assert.equal(s.owner('default', 'service/w'), undefined);
  });

  it('a task moved to another node counts there', () => {
    const s = ClusterSnapshot.from([mkNode('a'), mkNode('b')], [mkTask('x', { owner: 'service/w', node: 'a' })]);
    s.setTask(mkTask('x', { owner: 'service/w', node: 'b' }));
    const r = place(unique('t'), s);
    assert.equal(r.ok && r.node, 'a');
  });
});
