/**
 * A node that registers is Ready, with no NodeNotReady on the way: its agent
 * writes its heartbeat key and its Ready status, which reach the node
 * lifecycle loop through two watches in either order (real etcd, a real
 * server, a sim agent hosting several nodes that register at once). A node
 * whose agent was killed is NotReady, and when the agent registers again
 * (writing Ready itself, with its NodeReady in the same transaction) the
 * events tell both.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node } from '../../pkg/api/types.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { spawnAgent, type AgentProc } from '../helpers/agent.js';
import { startCluster, until, type Cluster } from '../helpers/stowage.js';

const NODE = lookupKind('Node')!;
const EVENT = lookupKind('Event')!;
const N = 8;

describe('node registration (real etcd, server and sim agent)', () => {
  let c: Cluster;
  let agent: AgentProc | undefined;
  before(async () => {
    c = await startCluster({ nodes: [] });
  });
  after(async () => {
    await agent?.stop('SIGKILL').catch(() => undefined);
    await c?.stop();
  });

  it(`${N} nodes registering at once turn Ready without a NodeNotReady event`, async () => {
    agent = await spawnAgent(['--etcd', c.etcd.endpoint, '--driver', 'sim', '--nodes', String(N), '--node-prefix', 'reg-', '--heartbeat-ttl', '2']);
    const ready = async () => (await c.store.list<Node>(NODE)).items.filter((s) => s.object.status?.state === 'Ready').length;
    await until(`${N} nodes Ready`, async () => (await ready()) === N, 30_000);
    // A node the loop took for NotReady was written Ready again by the loop (no reason), not by
    // its agent (AgentReady), and drew a NodeNotReady event.
    const nodes = (await c.store.list<Node>(NODE)).items.map((s) => s.object);
    assert.deepEqual(nodes.filter((n) => n.status?.reason !== 'AgentReady').map((n) => `${n.metadata.name}: ${n.status?.state} ${n.status?.reason ?? ''}`), [], 'nodes whose Ready was not their agent\'s');
    const bad = (await c.store.list<Event>(EVENT)).items.map((s) => s.object.spec).filter((e) => e.reason === 'NodeNotReady');
    assert.deepEqual(bad.map((e) => `${e.involvedObject.name}: ${e.message}`), [], 'NodeNotReady events for nodes that just registered');
  });

  it('an agent killed and started again: NodeNotReady, then NodeReady when it registers again', async () => {
    const args = ['--etcd', c.etcd.endpoint, '--driver', 'sim', '--nodes', '1', '--node-prefix', 'back-', '--heartbeat-ttl', '2'];
    let back = await spawnAgent(args);
    const state = async () => (await c.store.get<Node>(NODE, undefined, 'back-0001'))?.object.status;
    const events = async (reason: string) => (await c.store.list<Event>(EVENT)).items.map((s) => s.object.spec).filter((e) => e.reason === reason && e.involvedObject.name === 'back-0001');
    try {
      await until('back-0001 Ready', async () => (await state())?.state === 'Ready', 30_000);
      await back.stop('SIGKILL');
      await until('back-0001 NotReady', async () => (await state())?.state === 'NotReady', 30_000);
      await until('a NodeNotReady event', async () => (await events('NodeNotReady')).length === 1, 10_000);
      back = await spawnAgent(args);
      await until('back-0001 Ready again, by its agent', async () => (await state())?.reason === 'AgentReady' && (await state())?.state === 'Ready', 30_000);
      const ready = await until('a NodeReady event', async () => (await events('NodeReady'))[0], 10_000);
      // the agent's own Ready, or the loop's when the heartbeat came first: either way the return is told
      assert.match(ready.message, /back-0001 (is back|is heartbeating again)/);
    } finally {
      await back.stop('SIGKILL').catch(() => undefined);
    }
  });
});
