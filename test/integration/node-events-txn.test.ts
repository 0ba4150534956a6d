/**
 * A node's state transition and its event are one etcd transaction, so a
 * process killed right after the write cannot leave the one without the
 * other (the next leader finds no transition left to tell). Shown by
 * revisions: each event was created at the very revision that wrote the
 * status it tells of (real etcd, the nodes loop under a real election).
 *
 *   heartbeat deleted ──► node NotReady  + NodeNotReady  (one revision)
 *   heartbeat back    ──► node Ready     + NodeReady     (one revision)
 *   past the grace    ──► task Lost      + NodeLost      (one revision)
 *   agent registers a NotReady node ──► Ready (AgentReady) + NodeReady (one revision);
 *   a new node, or one already Ready, draws no NodeReady
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type Event, type Node, type Task } from '../../pkg/api/types.js';
import { NodeLifecycleController } from '../../pkg/controllers/nodes/controller.js';
import { agentSource, nodeBackEvent } from '../../pkg/events/node-ready.js';
import { EventRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { summarize } from '../../pkg/store/binding.js';
import { assignmentKey, heartbeatKey } from '../../pkg/store/keys.js';
import { registerNode, type Registration } from '../../pkg/store/node-register.js';
import { Store, type Stored } from '../../pkg/store/store.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import { runAsLeader, type Leader } from '../helpers/leader.js';
import { until } from '../helpers/wait.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const EVENT = lookupKind('Event')!;

describe('a node transition and its event in one transaction (real etcd)', () => {
  const db = useEtcdStore();
  const eventsOf = async (name: string, reason: string): Promise<Stored<Event>[]> =>
    (await db.store.list<Event>(EVENT, 'default')).items.filter((e) => e.object.spec.involvedObject.name === name && e.object.spec.reason === reason);
  const nodeOf = async (name: string) => (await db.store.get<Node>(NODE, undefined, name))!;

  describe('the nodes loop (fenced)', () => {
    let informers: InformerFactory;
    let leader: Leader;
    before(async () => {
      informers = new InformerFactory(db.store, nopLogger);
      const recorder = new EventRecorder(db.store, 'leader', nopLogger, () => leader.election.fence());
      const loop = new NodeLifecycleController({ store: db.store, informers, log: nopLogger, recorder, graceMs: 1000 });
      leader = await runAsLeader(db.client, [loop]);
    });
    after(async () => {
      await leader?.stop();
      await informers?.stop();
    });

    /** A Ready, heartbeating node (with one Running task, if named), as the loop's cache holds it. */
    async function readyNode(name: string, task?: string): Promise<void> {
      await db.client.put(heartbeatKey(name)).value('alive');
      const node: Node = { apiVersion: API_VERSION, kind: 'Node', metadata: { name }, spec: { capacity: { cpus: 4, mem: 1024, disk: 0 }, portRanges: [], attributes: {} } };
      const alloc: Record<string, { cpus: number; mem: number; disk: number; ports: number[] }> = {};
      if (task) {
        const t: Task = {
          apiVersion: API_VERSION,
          kind: 'Task',
          metadata: { name: task, namespace: 'default' },
          spec: { image: 'x', resources: { cpus: 0.1, mem: 1, disk: 0 } },
          status: { state: 'Running', nodeName: name, startedAt: new Date().toISOString() },
        };
        const txn = db.store.txn();
        Store.addCreate(txn, TASK, t);
        txn.put(assignmentKey(name, 'default', task), JSON.stringify(t));
        assert.ok((await txn.commit()).succeeded);
        alloc[`default/${task}`] = { cpus: 0.1, mem: 1, disk: 0, ports: [] };
      }
      await db.store.create(NODE, { ...node, status: { state: 'Ready', ...summarize(node, alloc) } });
      const [nodes, tasks] = [await informers.get<Node>('Node'), await informers.get<Task>('Task')];
      await until(`the loop's caches to hold ${name}`, () => nodes.get(`_/${name}`)?.object.status?.state === 'Ready' && (!task || tasks.get(`default/${task}`)));
    }

    it('NotReady and its NodeNotReady, then Ready and its NodeReady, each at the status write\'s revision', async () => {
      await readyNode('flap');
      await db.client.delete().key(heartbeatKey('flap'));
      await until('flap NotReady', async () => (await nodeOf('flap')).object.status?.state === 'NotReady');
      const notReady = await nodeOf('flap');
      const [nr] = await eventsOf('flap', 'NodeNotReady');
      assert.ok(nr, 'a NotReady node without its NodeNotReady event');
      assert.equal(nr.specRev, notReady.statusRev, 'NodeNotReady written apart from the NotReady status');
      assert.equal(nr.object.spec.type, 'Warning');
      assert.equal(nr.object.spec.source, 'leader');
      assert.equal(nr.object.spec.message, 'node flap stopped heartbeating; its 0 task(s) are Unreachable');

      await db.client.put(heartbeatKey('flap')).value('alive again');
      await until('flap Ready again', async () => (await nodeOf('flap')).object.status?.state === 'Ready');
      const ready = await nodeOf('flap');
      const [r] = await eventsOf('flap', 'NodeReady');
      assert.ok(r, 'a node back Ready without its NodeReady event');
      assert.equal(r.specRev, ready.statusRev, 'NodeReady written apart from the Ready status');
      assert.equal(r.object.spec.message, 'node flap is heartbeating again');
    });

    it('a task Lost with its node and the node\'s NodeLost, at the same revision', async () => {
      await readyNode('gone', 'gone-t0');
      await db.client.delete().key(heartbeatKey('gone'));
      const lost = await until('gone-t0 Lost', async () => {
        const t = await db.store.get<Task>(TASK, 'default', 'gone-t0');
        return t?.object.status?.state === 'Lost' && t;
      });
      const events = await eventsOf('gone', 'NodeLost');
      assert.equal(events.length, 1, 'one NodeLost event');
      assert.equal(events[0]!.specRev, lost.statusRev, 'NodeLost written apart from the Lost status');
      assert.equal(events[0]!.object.spec.message, '1 task(s) on node gone are Lost and will be replaced');
      assert.equal((await eventsOf('gone', 'NodeNotReady'))[0]?.specRev, (await nodeOf('gone')).statusRev);
    });
  });

  describe('registration (registerNode with the agents\' onReady)', () => {
    const reg: Registration = { name: 'reg', capacity: { cpus: 2, mem: 512, disk: 1 }, portRanges: [], attributes: {}, address: '127.0.0.1:1', version: 't', driver: 'sim' };
    const register = () => registerNode(db.store, reg, nopLogger, { onReady: nodeBackEvent(agentSource('reg')) });

    it('a new node and a Ready one draw no NodeReady; a NotReady one is Ready with its NodeReady at one revision', async () => {
      await register();
      await register();
      assert.deepEqual(await eventsOf('reg', 'NodeReady'), [], 'NodeReady for a node that was never away');

      // what the nodes loop writes when the heartbeat lapses
      const cur = await nodeOf('reg');
      await db.store.putStatus(NODE, undefined, 'reg', { ...cur.object.status!, state: 'NotReady', reason: 'HeartbeatLost' }, cur.statusRev);
      const back = await register();
      assert.equal(back.object.status?.state, 'Ready');
      const events = await eventsOf('reg', 'NodeReady');
      assert.equal(events.length, 1, 'one NodeReady');
      assert.equal(events[0]!.specRev, back.statusRev, 'NodeReady written apart from the Ready status');
      assert.equal(events[0]!.specRev, (await nodeOf('reg')).statusRev);
      assert.equal(events[0]!.object.spec.source, 'agent/reg');
      assert.equal(events[0]!.object.spec.message, 'node reg is back: its agent registered again');
      assert.equal(events[0]!.object.spec.involvedObject.uid, cur.object.metadata.uid);

      await register();
      assert.equal((await eventsOf('reg', 'NodeReady')).length, 1, 'NodeReady again for a node already Ready');
    });
  });
});
