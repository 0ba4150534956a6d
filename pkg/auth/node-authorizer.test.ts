import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refuseAgentAct, type AgentAct } from './node-authorizer.js';
import type { Principal } from './principal.js';

const node: Principal = { user: 'n1', role: 'node' };
const admin: Principal = { user: 'alice', role: 'admin' };
const operator: Principal = { user: 'bob', role: 'operator', namespaces: ['a'] };
const viewer: Principal = { user: 'carol', role: 'viewer' };

describe('node authorizer: the agent API', () => {
  const table: [string, AgentAct, Principal, string | undefined][] = [
    ['register own', { verb: 'register', nodes: ['n1'] }, node, undefined],
    ['register another', { verb: 'register', nodes: ['n2'] }, node, 'node "n1" may not register node "n2"'],
    ['heartbeat own and another', { verb: 'heartbeat', nodes: ['n1', 'n2'] }, node, 'node "n1" may not heartbeat node "n2"'],
    ['heartbeat nothing', { verb: 'heartbeat', nodes: [] }, node, 'node "n1" named no node to heartbeat'],
    ['usage of another', { verb: 'report usage of', nodes: ['n2'] }, node, 'node "n1" may not report usage of node "n2"'],
    ['watch own', { verb: 'watch', nodes: ['n1'] }, node, undefined],
    ['watch another', { verb: 'watch', nodes: ['n2'] }, node, 'node "n1" may not watch the assignments of node "n2"'],
    ['watch a prefix', { verb: 'watch', prefix: 'n' }, node, 'node "n1" may not watch the assignments of every node starting with "n"; ask for node=n1'],
    ['status of own task', { verb: 'write status', task: 'a/t', boundTo: 'n1', writes: 'n1' }, node, undefined],
    ['status of a task of another node', { verb: 'write status', task: 'a/t', boundTo: 'n2', writes: 'n1' }, node, 'node "n1" may not write the status of task a/t: it is bound to node "n2"'],
    ['status of an unbound task', { verb: 'write status', task: 'a/t', boundTo: undefined, writes: 'n1' }, node, 'node "n1" may not write the status of task a/t: it is bound to no node'],
    ['moving own task away', { verb: 'write status', task: 'a/t', boundTo: 'n1', writes: 'n2' }, node, 'node "n1" may not move task a/t to node "n2" (status.nodeName)'],
    ['own event', { verb: 'write event', source: 'agent/n1' }, node, undefined],
    ["another's event", { verb: 'write event', source: 'agent/n2' }, node, 'node "n1" may not write events of source "agent/n2"; its events are of source "agent/n1"'],
    ["the leader's event", { verb: 'write event', source: 'leader' }, node, 'node "n1" may not write events of source "leader"; its events are of source "agent/n1"'],
    ['admin: anything', { verb: 'watch', prefix: 'sim-' }, admin, undefined],
    ['admin: any status', { verb: 'write status', task: 'a/t', boundTo: 'n2', writes: 'n3' }, admin, undefined],
    ['operator: nothing', { verb: 'register', nodes: ['n1'] }, operator, 'role operator may not use the agent API (register n1): it is for agents, with a token of role node'],
    ['viewer: nothing', { verb: 'watch', nodes: ['n1'] }, viewer, 'role viewer may not use the agent API (watch n1): it is for agents, with a token of role node'],
  ];
  for (const [name, act, p, want] of table) {
    it(name, () => assert.equal(refuseAgentAct(p, act), want));
  }
});
