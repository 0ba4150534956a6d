import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Task, TaskState } from '../../api/types.js';
import { computeNode, lostStatus } from './compute.js';

const T0 = Date.parse('2026-11-25T12:00:00Z');
const GRACE = 10_000;
const node = (state: 'Ready' | 'NotReady' | undefined, since = T0): Node => ({
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name: 'n1' },
  spec: { capacity: { cpus: 1, mem: 1024, disk: 0 }, portRanges: [], attributes: {} },
  status: state ? { state, lastTransitionTime: new Date(since).toISOString(), tasks: { 'default/a': { cpus: 0.1, mem: 16, disk: 0, ports: [] } } } : undefined,
});
const task = (name: string, state: TaskState, nodeName = 'n1'): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name, namespace: 'default' },
  spec: { image: 'x', resources: { cpus: 0.1, mem: 16, disk: 0 } },
  status: { state, nodeName },
});

describe('computeNode', () => {
  const live = [task('a', 'Running'), task('b', 'Bound'), task('c', 'Succeeded'), task('d', 'Running', 'n2')];
  const cases: { name: string; node: Node; hb: boolean; now: number; state?: string; lost: string[]; requeue?: number }[] = [
    { name: 'heartbeat on a Ready node: nothing', node: node('Ready'), hb: true, now: T0, lost: [] },
    { name: 'heartbeat on a new node: Ready', node: node(undefined), hb: true, now: T0, state: 'Ready', lost: [] },
    { name: 'heartbeat back on a NotReady node: Ready', node: node('NotReady'), hb: true, now: T0 + 60_000, state: 'Ready', lost: [] },
    { name: 'heartbeat gone: NotReady, look again after the grace', node: node('Ready'), hb: false, now: T0, state: 'NotReady', lost: [], requeue: GRACE },
    { name: 'within the grace: wait for the rest of it', node: node('NotReady'), hb: false, now: T0 + 4000, lost: [], requeue: 6000 },
    { name: 'grace over: live tasks on this node are lost, not ended or other nodes\' ones', node: node('NotReady'), hb: false, now: T0 + GRACE, lost: ['a', 'b'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = computeNode(c.node, c.hb, () => live, c.now, GRACE);
      assert.equal(d.status?.state, c.state);
      assert.deepEqual(d.lose.map((t) => t.metadata.name), c.lost);
      assert.equal(d.requeueAfterMs, c.requeue);
    });
  }

  it('a NotReady node holding no tasks is not requeued', () => {
    const empty = node('NotReady');
    empty.status!.tasks = {};
    assert.equal(computeNode(empty, false, () => [], T0 + 1000, GRACE).requeueAfterMs, undefined);
  });

  it('a lost task keeps where it ran and says why', () => {
    const s = lostStatus(task('a', 'Running'), 'n1', T0)!;
    assert.equal(s.state, 'Lost');
    assert.equal(s.reason, 'NodeLost');
    assert.equal(s.nodeName, 'n1');
    assert.match(s.message!, /node n1 stopped heartbeating/);
  });
});
