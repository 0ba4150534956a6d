/** rebaseBinding: what a node's part of a failed binding transaction can be sent again against. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeStatus, Task } from '../api/types.js';
import { rebaseBinding } from './binding.js';
import type { Stored } from './store.js';

const STATUS: NodeStatus = {
  state: 'Ready',
  capacity: { cpus: 2, mem: 1024, disk: 10 },
  tasks: { 'default/x': { cpus: 1, mem: 64, disk: 0, ports: [] } },
  allocated: { cpus: 1, mem: 64, disk: 0, ports: 0 },
  free: { cpus: 1, mem: 960, disk: 10, ports: 0 },
};
const node = (name: string, statusRev: string, status: NodeStatus = STATUS): Stored<Node> => ({
  object: { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: {}, status } as Node,
  specRev: '1',
  statusRev,
});
const task = (name: string, statusRev: string): Stored<Task> => ({ object: { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: {} } as Task, specRev: '2', statusRev });
const kv = (mod_revision: string, value?: unknown) => ({ mod_revision, ...(value !== undefined ? { value: Buffer.from(JSON.stringify(value)) } : {}) });

describe('rebaseBinding', () => {
  const usage = { cpus: 0.2, mem: 10, memBytes: 10 << 20, at: '2026-12-03T12:00:00Z' };
  const current = new Map([
    ['/stowage/status/nodes/_/n1', kv('10', STATUS)],
    ['/stowage/status/nodes/_/n2', kv('11', { ...STATUS, usage })],
    ['/stowage/status/nodes/_/n3', kv('12', { ...STATUS, tasks: {}, allocated: { cpus: 0, mem: 0, disk: 0, ports: 0 } })],
    ['/stowage/status/nodes/_/n4', kv('13', { ...STATUS, state: 'NotReady', usage })],
    ['/stowage/status/tasks/default/a', kv('7')],
    ['/stowage/tasks/default/b', kv('3')],
    // d: a traced task's first status (or a pending reason); e: bound by another; f: ended
    ['/stowage/tasks/default/d', kv('4')],
    ['/stowage/status/tasks/default/d', kv('8', { state: 'Pending', trace: { 'services.create': 1 } })],
    ['/stowage/tasks/default/e', kv('4')],
    ['/stowage/status/tasks/default/e', kv('8', { state: 'Bound', nodeName: 'n9' })],
    ['/stowage/tasks/default/f', kv('4')],
    ['/stowage/status/tasks/default/f', kv('8', { state: 'Failed' })],
  ]);

  it('every compare held: the same node', () => {
    const n1 = node('n1', '10');
    const a = task('a', '7');
    const b = task('b', '0');
    assert.deepEqual(rebaseBinding(current, n1, [a, b]), { node: n1, tasks: [a, b] });
  });

  it('only the node status usage moved: the node with its current status and revision', () => {
    const r = rebaseBinding(current, node('n2', '9'), [task('a', '7')]);
    assert.equal(r?.node.statusRev, '11');
    assert.deepEqual(r?.node.object.status, { ...STATUS, usage });
  });

  it('a task given a status that still says Pending on no node: the task with that status and revision', () => {
    const r = rebaseBinding(current, node('n1', '10'), [task('a', '7'), task('d', '0')]);
    assert.equal(r?.tasks[1]?.statusRev, '8');
    assert.deepEqual(r?.tasks[1]?.object.status, { state: 'Pending', trace: { 'services.create': 1 } });
  });

  it('anything else moved: undefined (place again)', () => {
    assert.equal(rebaseBinding(current, node('n3', '9'), [task('a', '7')]), undefined, "the node's allocation moved");
    assert.equal(rebaseBinding(current, node('n4', '9'), [task('a', '7')]), undefined, "the node's state moved with its usage");
    assert.equal(rebaseBinding(current, node('n1', '10'), [task('a', '6')]), undefined, "a task's status moved");
    assert.equal(rebaseBinding(current, node('n1', '10'), [task('b', '5')]), undefined, 'a task lost its status');
    assert.equal(rebaseBinding(current, node('n1', '10'), [task('c', '0')]), undefined, 'a task without status was deleted');
    assert.equal(rebaseBinding(current, node('n2', '9'), [task('c', '0')]), undefined, 'usage moved, but a task was deleted');
    assert.equal(rebaseBinding(current, node('n1', '10'), [task('e', '0')]), undefined, 'a task was bound by another');
    assert.equal(rebaseBinding(current, node('n1', '10'), [task('f', '0')]), undefined, 'a task ended');
    assert.equal(rebaseBinding(current, node('n1', '10'), [task('d', '0'), task('e', '0')]), undefined, 'one task of the part was bound by another');
  });
});
