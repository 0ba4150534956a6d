/**
 * The binding transaction under concurrent writers (real etcd): many
 * binders, each reading the node and binding a different task to it at the
 * same time, never over-commit it, because each binding compares the node
 * status revision it read; the node's allocation always lists exactly the
 * tasks bound to it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node, Task } from '../../pkg/api/types.js';
import { addBindings } from '../../pkg/store/binding.js';
import { useEtcdStore } from '../helpers/etcd-store.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;

describe('binding with concurrent writers (real etcd)', () => {
  const db = useEtcdStore();

  it('20 binders racing for a 1-cpu node bind at most 3 tasks of 0.3 cpu', async () => {
    await db.store.create(NODE, { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { capacity: { cpus: 1, mem: 1024, disk: 0 }, portRanges: [], attributes: {} } } as Node);
    await db.store.putStatus(NODE, undefined, 'n1', { state: 'Ready' }, '0');
    const names = Array.from({ length: 20 }, (_, i) => `t${i}`);
    for (const name of names) {
      await db.store.create(TASK, { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: { image: 'x', resources: { cpus: 0.3, mem: 10, disk: 0 } }, status: { state: 'Pending' } } as Task);
    }
    let conflicts = 0;
    // each binder reads, checks the fit on what it read, and commits; on a lost race it reads again
    const binder = async (name: string): Promise<boolean> => {
      for (;;) {
        const [node, task] = await Promise.all([db.store.get<Node>(NODE, undefined, 'n1'), db.store.get<Task>(TASK, 'default', name)]);
        const used = node!.object.status?.allocated?.cpus ?? 0;
        if (used + 0.3 > node!.object.spec.capacity.cpus + 1e-9) return false;
        const txn = db.store.txn();
        addBindings(txn, node!, [{ task: task!, ports: {} }]);
        if ((await txn.commit()).succeeded) return true;
        conflicts++;
      }
    };
    const bound = (await Promise.all(names.map(binder))).filter(Boolean).length;
    assert.equal(bound, 3, `${bound} tasks bound to a 1-cpu node`);
    assert.ok(conflicts > 0, 'the binders really raced');
    const node = (await db.store.get<Node>(NODE, undefined, 'n1'))!.object;
    const onNode = (await db.store.list<Task>(TASK)).items.filter((t) => t.object.status?.nodeName === 'n1').map((t) => `default/${t.object.metadata.name}`);
    assert.deepEqual(Object.keys(node.status!.tasks!).sort(), onNode.sort());
    assert.equal(node.status!.allocated!.cpus, 0.9);
  });
});
