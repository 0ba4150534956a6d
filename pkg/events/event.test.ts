import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import type { Node, Task } from '../api/types.js';
import { nopLogger } from '../log/logger.js';
import type { EventSink } from './recorder.js';
import { EventRecorder } from './recorder.js';
import { newEvent } from './event.js';
import { nodeBackEvent } from './node-ready.js';
import { Txn } from '../store/txn.js';

const task: Task = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', labels: {} }, spec: { image: 'x', resources: { cpus: 1, mem: 1, disk: 0 } } };
const node: Node = { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1', uid: 'u2' }, spec: { capacity: { cpus: 1, mem: 1, disk: 0 }, portRanges: [], attributes: {} } };
const noSink: EventSink = { create: () => assert.fail('written'), update: () => assert.fail('written') };

describe('newEvent', () => {
  it('a fresh Event about the object: count 1, both timestamps, the source, a valid name in its namespace', () => {
    const ev = newEvent(task, 'Warning', 'NodeLost', 'gone', 'leader', '2026-01-01T00:00:00.000Z');
    assert.equal(ev.metadata.namespace, 'shop');
    assert.match(ev.metadata.name, /^web-1\.[a-z0-9]+$/);
    assert.deepEqual(ev.spec, {
      type: 'Warning',
      reason: 'NodeLost',
      message: 'gone',
      involvedObject: { kind: 'Task', namespace: 'shop', name: 'web-1', uid: 'u1' },
      source: 'leader',
      firstTimestamp: '2026-01-01T00:00:00.000Z',
      lastTimestamp: '2026-01-01T00:00:00.000Z',
      count: 1,
    });
    assert.equal(newEvent(node, 'Normal', 'NodeReady', 'm', 's', '2026-01-01T00:00:00.000Z').metadata.namespace, 'default');
  });

  it("a recorder's transitionEvent carries its source and writes nothing itself; timestamps keep their order", () => {
    const r = new EventRecorder(noSink, 'leader', nopLogger, undefined, () => 1000);
    const a = r.transitionEvent(node, 'Warning', 'NodeNotReady', 'x');
    const b = r.transitionEvent(node, 'Normal', 'NodeReady', 'y');
    assert.equal(a.spec.source, 'leader');
    assert.ok(b.spec.firstTimestamp! > a.spec.firstTimestamp!);
    assert.notEqual(a.metadata.name, b.metadata.name);
  });
});

describe('nodeBackEvent', () => {
  const client = {} as Etcd3;
  const added = (prev: Node['status']) => {
    const t = new Txn(client);
    nodeBackEvent('agent/n1')(t, node, prev);
    return t.size;
  };
  it('adds the NodeReady create for a node back from NotReady only', () => {
    assert.equal(added({ state: 'NotReady' } as Node['status']), 1);
    assert.equal(added(undefined), 0);
    assert.equal(added({ state: 'Ready' } as Node['status']), 0);
  });
});
