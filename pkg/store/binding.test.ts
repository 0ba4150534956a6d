/** bindingMoved: which node's part of a failed binding transaction lost its race. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Task } from '../api/types.js';
import { bindingMoved } from './binding.js';
import type { Stored } from './store.js';

const node = (name: string, statusRev: string): Stored<Node> => ({ object: { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: {} } as Node, specRev: '1', statusRev });
const task = (name: string, statusRev: string): Stored<Task> => ({ object: { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: {} } as Task, specRev: '2', statusRev });

describe('bindingMoved', () => {
  it('reads each compared key back: a node status or task status at another revision, or a status-less task gone, moved', () => {
    const current = new Map<string, { mod_revision: string }>([
      ['/stowage/status/nodes/_/n1', { mod_revision: '10' }],
      ['/stowage/status/nodes/_/n2', { mod_revision: '11' }],
      ['/stowage/status/tasks/default/a', { mod_revision: '7' }],
      ['/stowage/tasks/default/b', { mod_revision: '3' }],
    ]);
    assert.equal(bindingMoved(current, node('n1', '10'), [task('a', '7'), task('b', '0')]), false, 'every compare held');
    assert.equal(bindingMoved(current, node('n2', '9'), [task('a', '7')]), true, 'the node status moved');
    assert.equal(bindingMoved(current, node('n1', '10'), [task('a', '6')]), true, "a task's status moved");
    assert.equal(bindingMoved(current, node('n1', '10'), [task('b', '5')]), true, 'a task lost its status');
    assert.equal(bindingMoved(current, node('n1', '10'), [task('c', '0')]), true, 'a task without status was deleted');
  });
});
