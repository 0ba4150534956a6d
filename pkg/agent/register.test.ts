import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_ATTRIBUTES, desiredNode, readyStatus, type Registration } from './register.js';
import type { Node } from '../api/types.js';

const reg: Registration = {
  name: 'n1',
  capacity: { cpus: 4, mem: 4096, disk: 1000 },
  portRanges: [{ begin: 31000, end: 31009 }],
  attributes: { rack: 'b', zone: 'z1' },
  address: '127.0.0.1:4000',
  version: '0.2.0',
  driver: 'docker',
};

const stored: Node = {
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name: 'n1', uid: 'u', annotations: { [AGENT_ATTRIBUTES]: 'gpu,rack', owner: 'ops' } },
  spec: {
    capacity: { cpus: 2, mem: 2048, disk: 10 },
    portRanges: [{ begin: 30000, end: 30009 }],
    attributes: { rack: 'a', gpu: 'yes', team: 'payments' },
    address: '127.0.0.1:3999',
    unschedulable: true,
  },
  status: {
    state: 'NotReady',
    reason: 'HeartbeatLost',
    tasks: { 'default/t1': { cpus: 1, mem: 512, disk: 0, ports: [31001] } },
    cordoned: true,
  },
};

describe('node registration', () => {
  it('creates the spec from the flags', () => {
    const n = desiredNode(reg, undefined);
    assert.deepEqual(n.spec, { capacity: reg.capacity, portRanges: reg.portRanges, attributes: reg.attributes, address: reg.address, version: '0.2.0', driver: 'docker' });
    assert.equal(n.metadata.annotations?.[AGENT_ATTRIBUTES], 'rack,zone');
  });

  it("merges over what is stored: the agent's attributes win, a user's stay, ones the agent dropped go; unschedulable untouched", () => {
    const n = desiredNode(reg, stored);
    assert.deepEqual(n.spec.attributes, { rack: 'b', zone: 'z1', team: 'payments' });
    assert.equal(n.spec.unschedulable, true);
    assert.deepEqual(n.spec.capacity, reg.capacity);
    assert.equal(n.spec.address, '127.0.0.1:4000');
    assert.equal(n.metadata.uid, 'u');
    assert.equal(n.metadata.annotations?.owner, 'ops');
  });

  it("marks Ready, keeps the binder's tasks and recomputes the totals against the new capacity", () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const st = readyStatus(desiredNode(reg, stored), stored.status, now);
    assert.equal(st.state, 'Ready');
    assert.equal(st.reason, 'AgentReady');
    assert.equal(st.lastTransitionTime, now.toISOString());
    assert.deepEqual(st.tasks, stored.status!.tasks);
    assert.equal(st.cordoned, true);
    assert.deepEqual(st.allocated, { cpus: 1, mem: 512, disk: 0, ports: 1 });
    assert.deepEqual(st.free, { cpus: 3, mem: 3584, disk: 1000, ports: 9 });
    const again = readyStatus(desiredNode(reg, stored), st, new Date('2026-01-02T00:00:00Z'));
    assert.equal(again.lastTransitionTime, now.toISOString(), 'still Ready: no transition');
  });
});
