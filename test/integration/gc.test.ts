/**
 * The garbage collector against real etcd: allocations of tasks that ended
 * or were deleted are released; tasks of a deleted service are stopped or
 * deleted; hand-written tasks are left alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node, Task } from '../../pkg/api/types.js';
import { GarbageCollector } from '../../pkg/controllers/gc/controller.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { addBindings } from '../../pkg/store/binding.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { assignmentKey } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { runAsLeader, type Leader } from '../helpers/leader.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const SERVICE = lookupKind('Service')!;


describe('garbage collector (real etcd)', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let informers: InformerFactory;
  let gc: GarbageCollector;
  let leader: Leader;

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    informers = new InformerFactory(store, nopLogger);
    gc = new GarbageCollector({ store, informers, log: nopLogger });
    leader = await runAsLeader(client, [gc]);
  });
  after(async () => {
    await leader.stop();
    await informers.stop();
    client.close();
    etcd.stop();
  });

  const mkTask = (name: string, spec: Partial<Task['spec']> = {}): Task => ({
    apiVersion: 'stowage/v1',
    kind: 'Task',
    metadata: { name, namespace: 'default' },
    spec: { image: 'x', resources: { cpus: 0.5, mem: 64, disk: 0 }, ...spec },
    status: { state: 'Pending' },
  });
  const allocated = async () => Object.keys((await store.get<Node>(NODE, undefined, 'n1'))!.object.status?.tasks ?? {}).sort();

  it('releases what ended or vanished, and stops tasks whose service is gone', async () => {
    await store.create(NODE, { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { capacity: { cpus: 4, mem: 1024, disk: 0 }, portRanges: [], attributes: {} } } as Node);
    await store.putStatus(NODE, undefined, 'n1', { state: 'Ready' }, '0');
    const svc = await store.create(SERVICE, { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { image: 'x' } } as unknown as Task);
    const owned = { owner: 'service/web', ownerUid: svc.object.metadata.uid };
    const tasks = [
      await store.create(TASK, mkTask('ends')),
      await store.create(TASK, mkTask('deleted')),
      await store.create(TASK, mkTask('runs', owned)),
      await store.create(TASK, mkTask('by-hand', { owner: 'service/web' })),
    ];
    const node = (await store.get<Node>(NODE, undefined, 'n1'))!;
    const txn = store.txn();
    addBindings(txn, node, tasks.map((task) => ({ task, ports: {} })));
    assert.ok((await txn.commit()).succeeded);
    assert.deepEqual(await allocated(), ['default/by-hand', 'default/deleted', 'default/ends', 'default/runs']);

    // one ends, one is deleted: both leave the node's allocation
    const ends = (await store.get<Task>(TASK, 'default', 'ends'))!;
    await store.putStatus(TASK, 'default', 'ends', { ...ends.object.status, state: 'Succeeded', exitCode: 0 }, ends.statusRev);
    await store.remove(TASK, 'default', 'deleted');
    await until('ended and deleted tasks released', async () => (await allocated()).join() === 'default/by-hand,default/runs').catch(async (e) => { throw new Error(`${e.message}: still allocated ${(await allocated()).join()}`); });
    const n = (await store.get<Node>(NODE, undefined, 'n1'))!.object;
    assert.equal(n.status?.allocated?.cpus, 1);
    assert.equal(n.status?.free?.cpus, 3);

    // the service goes: its running task is asked to stop (assignment withdrawn), the hand-written one stays
    await store.remove(SERVICE, 'default', 'web');
    await until('the orphan to be killed', async () => (await store.get<Task>(TASK, 'default', 'runs'))?.object.spec.desiredState === 'Killed');
    assert.equal((await client.get(assignmentKey('n1', 'default', 'runs')).string()), null);
    assert.ok(await store.get(TASK, 'default', 'by-hand'), 'a task a user wrote is never collected');
  });
});
