/**
 * Derived data at 10,000 tasks: right, and computed once per change of what it reads (the
 * same array comes back while nothing changed: a view asking per row costs a lookup), and
 * again after a change.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource } from '../../pkg/api/types.js';
import { eventsFor, nodeSummary, nodesBy, runsOf, tasks, tasksByState, tasksOf, tasksOnNode, warnings } from './selectors.js';
import { Store, type Kind } from './store.js';

const put = (s: Store, kind: Kind, o: AnyResource) => {
  const c = s.get(kind);
  const k = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  if (!c.items.has(k)) c.members++;
  c.items.set(k, o);
  c.version++;
};

const task = (i: number, state = 'Running'): AnyResource =>
  ({
    apiVersion: 'stowage/v1',
    kind: 'Task',
    metadata: { name: `t${String(i).padStart(5, '0')}`, namespace: 'default', creationTimestamp: new Date(1_700_000_000_000 + i * 1000).toISOString() },
    spec: { owner: `service/s${i % 100}` },
    status: { state, nodeName: `n${i % 50}` },
  }) as unknown as AnyResource;

const node = (name: string, cpus: number, allocated: number, used?: number, state = 'Ready'): AnyResource =>
  ({
    apiVersion: 'stowage/v1',
    kind: 'Node',
    metadata: { name },
    spec: { capacity: { cpus, mem: 1000, disk: 100 }, portRanges: [{ begin: 1, end: 10 }] },
    status: { state, allocated: { cpus: allocated, mem: 100, disk: 0, ports: 1 }, ...(used !== undefined ? { usage: { cpus: used, mem: 50, memBytes: 0, at: '', tasks: {} } } : {}) },
  }) as unknown as AnyResource;

describe('selectors', () => {
  it('index 10,000 tasks by owner, node and state, once per change of the tasks', () => {
    const s = new Store();
    for (let i = 0; i < 10_000; i++) put(s, 'tasks', task(i, Math.floor(i / 100) % 10 === 0 ? 'Failed' : 'Running'));
    const mine = tasksOf(s, 'service', 'default', 's7');
    assert.equal(mine.length, 100);
    assert.ok(mine.every((t) => t.spec.owner === 'service/s7'));
    // live first, newest first
    assert.ok(mine.slice(0, 90).every((t) => t.status?.state === 'Running') && mine.slice(90).every((t) => t.status?.state === 'Failed'));
    assert.ok(mine[0]!.metadata.creationTimestamp! > mine[89]!.metadata.creationTimestamp!);
    assert.equal(tasksOnNode(s, 'n3').length, 200);
    assert.deepEqual([...tasksByState(s)], [['Failed', 1000], ['Running', 9000]]);
    assert.equal(tasks(s)[0]!.metadata.name, 't00000');

    // asked again with nothing changed: the same arrays, nothing computed again
    assert.equal(tasksOf(s, 'service', 'default', 's7'), mine);
    assert.equal(tasks(s), tasks(s));
    assert.equal(tasksByState(s), tasksByState(s));

    const before = tasks(s);
    put(s, 'tasks', task(7, 'Killed'));
    assert.notEqual(tasks(s), before, 'a change of a task: computed again');
    assert.equal(tasks(s).length, 10_000);
    assert.equal(tasksByState(s).get('Killed'), 1);
    assert.equal(tasksOf(s, 'service', 'default', 's7').at(-1)!.metadata.name, 't00007', 'ended tasks last, newest first');
    assert.deepEqual(tasksOf(s, 'service', 'other', 's7'), []);
  });

  it('a change of another kind leaves the tasks as they were', () => {
    const s = new Store();
    for (let i = 0; i < 100; i++) put(s, 'tasks', task(i));
    const t = tasks(s);
    put(s, 'nodes', node('n1', 4, 1));
    assert.equal(tasks(s), t);
  });

  it("sums the nodes' capacity, allocated and used, and sorts them busiest first", () => {
    const s = new Store();
    put(s, 'nodes', node('a', 4, 1, 0.5));
    put(s, 'nodes', node('b', 4, 3, 0.2));
    put(s, 'nodes', node('c', 8, 4));
    put(s, 'nodes', node('d', 4, 0, undefined, 'NotReady'));
    const sum = nodeSummary(s);
    assert.deepEqual(sum.total.cpu, { capacity: 20, allocated: 8, used: 0.7 });
    assert.deepEqual(sum.total.disk, { capacity: 400, allocated: 0 }, 'no use of disk is measured');
    assert.deepEqual(sum.total.ports, { capacity: 40, allocated: 4 });
    assert.equal(sum.ready, 3);
    assert.equal(sum.notReady, 1);
    assert.deepEqual(nodesBy(s, 'busiest').map((r) => r.name), ['b', 'c', 'a', 'd']);
    assert.deepEqual(nodesBy(s, 'cpu-used').map((r) => r.name), ['a', 'b', 'c', 'd']);
    assert.deepEqual(nodesBy(s, 'trouble').map((r) => r.name)[0], 'd');
    assert.deepEqual(nodesBy(s, 'name').map((r) => r.name), ['a', 'b', 'c', 'd']);
    assert.equal(nodesBy(s, 'busiest'), nodesBy(s, 'busiest'));
  });

  it('events: newest first, warnings, those of one object (one that names no namespace is of any)', () => {
    const s = new Store();
    const ev = (name: string, at: string, type: string, obj: { kind: string; name: string; namespace?: string }) =>
      put(s, 'events', { apiVersion: 'stowage/v1', kind: 'Event', metadata: { name, namespace: 'default' }, spec: { type, reason: 'R', message: name, involvedObject: obj, lastTimestamp: at } } as unknown as AnyResource);
    ev('e1', '2026-01-01T00:00:01Z', 'Normal', { kind: 'Service', name: 'web', namespace: 'default' });
    ev('e2', '2026-01-01T00:00:03Z', 'Warning', { kind: 'Service', name: 'web', namespace: 'default' });
    ev('e3', '2026-01-01T00:00:02Z', 'Warning', { kind: 'Service', name: 'web' });
    ev('e4', '2026-01-01T00:00:04Z', 'Warning', { kind: 'Service', name: 'web', namespace: 'other' });
    assert.deepEqual(warnings(s).map((e) => e.metadata.name), ['e4', 'e2', 'e3']);
    assert.deepEqual(eventsFor(s, 'Service', 'default', 'web').map((e) => e.metadata.name), ['e2', 'e3', 'e1']);
    assert.deepEqual(eventsFor(s, 'Service', 'default', 'web', 1).map((e) => e.metadata.name), ['e2']);
  });

  it("a job's runs, newest first", () => {
    const s = new Store();
    for (const [name, at] of [['r1', '2026-01-01T00:00:01Z'], ['r2', '2026-01-01T00:00:02Z']] as const) {
      put(s, 'jobruns', { apiVersion: 'stowage/v1', kind: 'JobRun', metadata: { name, namespace: 'default', creationTimestamp: at, labels: { 'stowage/job': 'report' } }, spec: {} } as unknown as AnyResource);
    }
    assert.deepEqual(runsOf(s, 'default', 'report').map((r) => r.metadata.name), ['r2', 'r1']);
    assert.deepEqual(runsOf(s, 'default', 'other'), []);
  });
});
