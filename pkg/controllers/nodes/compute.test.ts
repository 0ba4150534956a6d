import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Task, TaskState } from '../../api/types.js';
import { computeNode, lostStatus, reachableStatus, unreachableStatus } from './compute.js';

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
const names = (ts: Task[]) => ts.map((t) => t.metadata.name);

describe('computeNode', () => {
  const live = [task('a', 'Running'), task('b', 'Bound'), task('c', 'Succeeded'), task('d', 'Running', 'n2'), task('e', 'Unreachable')];
  const cases: { name: string; node: Node; hb: boolean; now: number; state?: string; unreachable?: string[]; reachable?: string[]; lost?: string[]; requeue?: number }[] = [
    { name: 'heartbeat on a Ready node: its Unreachable tasks come back', node: node('Ready'), hb: true, now: T0, reachable: ['e'] },
    { name: 'heartbeat on a new node: Ready', node: node(undefined), hb: true, now: T0, state: 'Ready', reachable: ['e'] },
    { name: 'heartbeat back on a NotReady node: Ready, tasks back', node: node('NotReady'), hb: true, now: T0 + 60_000, state: 'Ready', reachable: ['e'] },
    { name: 'heartbeat gone: NotReady, live tasks Unreachable, look again after the grace', node: node('Ready'), hb: false, now: T0, state: 'NotReady', unreachable: ['a', 'b'], requeue: GRACE },
    { name: 'within the grace: what is not Unreachable yet is marked, wait for the rest of it', node: node('NotReady'), hb: false, now: T0 + 4000, unreachable: ['a', 'b'], requeue: 6000 },
    { name: "grace over: live tasks on this node are lost, not ended or other nodes' ones", node: node('NotReady'), hb: false, now: T0 + GRACE, lost: ['a', 'b', 'e'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = computeNode(c.node, c.hb, live, c.now, GRACE);
      assert.equal(d.status?.state, c.state);
      assert.deepEqual(names(d.unreachable), c.unreachable ?? []);
      assert.deepEqual(names(d.reachable), c.reachable ?? []);
      assert.deepEqual(names(d.lose), c.lost ?? []);
      assert.equal(d.requeueAfterMs, c.requeue);
    });
  }

  it('a NotReady node holding no live tasks is not requeued', () => {
    assert.equal(computeNode(node('NotReady'), false, [], T0 + 1000, GRACE).requeueAfterMs, undefined);
  });

  it('an Unreachable task keeps its state to give back, and gets it back without the marks', () => {
    const u = unreachableStatus(task('a', 'Running'), 'n1', T0);
    assert.equal(u.state, 'Unreachable');
    assert.equal(u.stateBeforeUnreachable, 'Running');
    assert.equal(u.nodeName, 'n1');
    const back = reachableStatus({ ...task('a', 'Running'), status: u });
    assert.deepEqual(back, { state: 'Running', nodeName: 'n1', message: undefined });
  });

  it('a lost task keeps where it ran and says why', () => {
    const s = lostStatus({ ...task('a', 'Running'), status: unreachableStatus(task('a', 'Running'), 'n1', T0) }, 'n1', T0)!;
    assert.equal(s.state, 'Lost');
    assert.equal(s.reason, 'NodeLost');
    assert.equal(s.nodeName, 'n1');
    assert.equal(s.stateBeforeUnreachable, undefined);
    assert.match(s.message!, /node n1 stopped heartbeating/);
  });
});
