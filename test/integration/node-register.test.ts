/**
 * A node that registers is Ready, with no NodeNotReady on the way: its agent
 * writes its heartbeat key and its Ready status, which reach the node
 * lifecycle loop through two watches in either order (real etcd, a real
 * server, a sim agent hosting several nodes that register at once).
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
});
