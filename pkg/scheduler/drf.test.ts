import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Namespace } from '../api/types.js';
import { dominantShare, schedule } from './drf.js';
import { mkNode, mkReq, snap } from './testkit.js';

const ns = (name: string, weight = 1, quota?: Namespace['spec']['quota']): Namespace => ({
  apiVersion: 'stowage/v1',
  kind: 'Namespace',
  metadata: { name },
  spec: { weight, quota },
});
const reqs = (namespace: string, n: number, o: Parameters<typeof mkReq>[1] = {}) =>
  Array.from({ length: n }, (_, i) => mkReq(`${namespace}-${i}`, { namespace, ...o }));
const owners = (keys: string[]) => keys.map((k) => k.split('/')[0]).join(' ');

describe('dominantShare', () => {
  const total = { cpu: 10_000, mem: 1000, disk: 0 };
  const rows: [string, { cpu: number; mem: number; disk: number }, number, number][] = [
    ['cpu dominates', { cpu: 5000, mem: 100, disk: 0 }, 1, 0.5],
    ['mem dominates', { cpu: 1000, mem: 300, disk: 0 }, 1, 0.3],
    ['weight divides', { cpu: 5000, mem: 100, disk: 0 }, 2, 0.25],
    ['resources with no capacity are ignored', { cpu: 0, mem: 0, disk: 50 }, 1, 0],
  ];
  for (const [name, u, w, want] of rows) it(name, () => assert.equal(dominantShare(u, total, w), want));
});

describe('schedule: weighted DRF', () => {
  it('the DRF paper’s example: <1 cpu, 4 GB> vs <3 cpus, 1 GB> on 9 cpus, 18 GB gives 3 and 2 tasks', () => {
    const s = snap([mkNode('n', { cpus: 9, mem: 18432 })]);
    const pending = [...reqs('a', 5, { cpus: 1, mem: 4096 }), ...reqs('b', 5, { cpus: 3, mem: 1024 })];
    const r = schedule(s, pending, []);
    assert.equal(owners(r.placements.map((p) => p.taskKey)), 'a b a b a');
    assert.equal(r.waiting.length, 5);
    assert.match(r.waiting[0]!.summary, /^0\/1 nodes fit: 1 insufficient cpus$/);
  });

  it('weights: a namespace of weight 2 gets twice the turns', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000 })]);
    const pending = [...reqs('a', 20, { cpus: 1, mem: 1 }), ...reqs('b', 20, { cpus: 1, mem: 1 })];
    const r = schedule(s, pending, [ns('b', 2)], { maxPlacements: 9 });
    const got = owners(r.placements.map((p) => p.taskKey));
    assert.equal(got.split(' ').filter((x) => x === 'b').length, 6);
    assert.equal(r.deferred.length, 31);
  });

  it('usage already bound counts: the busy namespace waits for the others to catch up', () => {
    const s = snap([mkNode('n', { cpus: 10, mem: 100_000, tasks: { 'a/old': { cpus: 3, mem: 0, disk: 0, ports: [] } } })]);
    const r = schedule(s, [...reqs('a', 3, { cpus: 1, mem: 1 }), ...reqs('b', 3, { cpus: 1, mem: 1 })], []);
    assert.equal(owners(r.placements.map((p) => p.taskKey)), 'b b b a a a');
  });

  it('no starvation: every namespace gets placements within a capped cycle', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000 })]);
    const pending = ['a', 'b', 'c'].flatMap((n) => reqs(n, 10, { cpus: 1, mem: 1 }));
    const r = schedule(s, pending, [], { maxPlacements: 6 });
    assert.equal(owners(r.placements.map((p) => p.taskKey)), 'a b c a b c');
  });

  it('namespaces without an object: weight 1, no quota', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000 })]);
    const r = schedule(s, reqs('x', 50, { cpus: 1, mem: 1 }), []);
    assert.equal(r.placements.length, 50);
  });
});

describe('schedule: quota, priority, blocking', () => {
  it('a task past the quota waits with QuotaExceeded; a smaller one behind it still runs', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000 })]);
    const pending = [
      mkReq('q1', { namespace: 'q', cpus: 1, created: 1 }),
      mkReq('q2', { namespace: 'q', cpus: 1, created: 2 }),
      mkReq('q3', { namespace: 'q', cpus: 1, created: 3 }),
      mkReq('q4', { namespace: 'q', cpus: 0.5, created: 4 }),
    ];
    const r = schedule(s, pending, [ns('q', 1, { cpus: 2.5 })]);
    assert.deepEqual(r.placements.map((p) => p.taskKey), ['q/q1', 'q/q2', 'q/q4']);
    assert.deepEqual(r.waiting, [
      { taskKey: 'q/q3', reason: 'QuotaExceeded', summary: 'namespace q quota exceeded: cpus 2 in use + 1 asked > 2.5', counts: {} },
    ]);
  });

  it('quota counts what the namespace already holds', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000, tasks: { 'q/old': { cpus: 0, mem: 900, disk: 0, ports: [] } } })]);
    const r = schedule(s, [mkReq('t', { namespace: 'q', mem: 200 })], [ns('q', 1, { mem: 1000 })]);
    assert.equal(r.waiting[0]?.reason, 'QuotaExceeded');
  });

  it('higher priority first, then older, then by key', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000 })]);
    const pending = [
      mkReq('low-old', { priority: 0, created: 1 }),
      mkReq('high-new', { priority: 10, created: 9 }),
      mkReq('high-old', { priority: 10, created: 2 }),
      mkReq('low-new-b', { priority: 0, created: 5 }),
      mkReq('low-new-a', { priority: 0, created: 5 }),
    ];
    const r = schedule(s, pending, []);
    assert.deepEqual(r.placements.map((p) => p.taskKey.slice(8)), ['high-old', 'high-new', 'low-old', 'low-new-a', 'low-new-b']);
  });

  it('no head-of-line blocking: a task that fits nowhere does not stop the others', () => {
    const s = snap([mkNode('n', { cpus: 4 })]);
    const pending = [mkReq('huge', { cpus: 64, priority: 100 }), ...reqs('default', 3, { cpus: 1 })];
    const r = schedule(s, pending, []);
    assert.equal(r.placements.length, 3);
    assert.deepEqual(r.waiting.map((w) => [w.taskKey, w.summary]), [['default/huge', '0/1 nodes fit: 1 insufficient cpus']]);
    assert.deepEqual(r.waiting[0]!.counts, { 'insufficient cpus': 1 });
  });

  it('a task that already holds resources (binding in flight) is skipped, not placed twice', () => {
    const s = snap([mkNode('a', { cpus: 4 })]);
    const r1 = schedule(s, [mkReq('t', { cpus: 1 })], []);
    assert.equal(r1.placements.length, 1);
    const r2 = schedule(s, [mkReq('t', { cpus: 1 }), mkReq('u', { cpus: 1 })], []);
    assert.deepEqual(r2.skipped, ['default/t']);
    assert.deepEqual(r2.placements.map((p) => p.taskKey), ['default/u']);
  });

  it('placements are assumed on the snapshot: a cycle sees its own effects', () => {
    const s = snap([mkNode('a', { cpus: 2 }), mkNode('b', { cpus: 2 })]);
    const r = schedule(s, reqs('default', 5, { cpus: 1, owner: 'service/w', constraints: [['hostname', 'MAX_PER', '2']] }), []);
    assert.equal(r.placements.length, 4);
    assert.equal(r.waiting[0]!.summary, '0/2 nodes fit: 2 insufficient cpus');
    assert.equal(s.node('a')!.freeCpu + s.node('b')!.freeCpu, 0);
  });
});

describe('schedule: owners inside a namespace (hierarchical DRF)', () => {
  it('a big service applied beside small ones does not take the cluster before they get their instances', () => {
    // three 1-cpu racks; big asks 12 x 0.3, spread 6 x 0.1 GROUP_BY rack, unique 4 x 0.1 UNIQUE hostname
    const s = snap(['a', 'b', 'c'].map((r) => mkNode(`n-${r}`, { cpus: 1, mem: 1024, attrs: { rack: r } })));
    const pending = [
      ...Array.from({ length: 12 }, (_, i) => mkReq(`big-${i}`, { owner: 'service/big', cpus: 0.3, mem: 16 })),
      ...Array.from({ length: 6 }, (_, i) => mkReq(`spread-${i}`, { owner: 'service/spread', cpus: 0.1, mem: 16, constraints: [['rack', 'GROUP_BY', '3']] })),
      ...Array.from({ length: 4 }, (_, i) => mkReq(`unique-${i}`, { owner: 'service/unique', cpus: 0.1, mem: 16, constraints: [['hostname', 'UNIQUE']] })),
    ];
    const r = schedule(s, pending, []);
    const placed = (p: string) => r.placements.filter((x) => x.taskKey.startsWith(`default/${p}-`));
    assert.equal(placed('spread').length, 6);
    assert.equal(placed('unique').length, 3);
    const perRack = ['n-a', 'n-b', 'n-c'].map((n) => placed('spread').filter((x) => x.node === n).length);
    assert.deepEqual(perRack, [2, 2, 2]);
    // big takes what is left: 0.6 cpu per node -> 2 each, never over
    assert.equal(placed('big').length, 6);
  });

  it('takes turns by share: the owner holding less goes next', () => {
    const s = snap([mkNode('n', { cpus: 100, mem: 100_000 })]);
    const pending = [
      ...Array.from({ length: 4 }, (_, i) => mkReq(`x-${i}`, { owner: 'service/x', cpus: 2, mem: 1, created: 1 })),
      ...Array.from({ length: 4 }, (_, i) => mkReq(`y-${i}`, { owner: 'service/y', cpus: 1, mem: 1, created: 2 })),
    ];
    const r = schedule(s, pending, []);
    // x (2 cpus a task) goes first (older); then y (1 cpu) takes two turns for each of x's
    const order = r.placements.map((p) => p.taskKey.split('/')[1]!.split('-')[0]).join('');
    assert.equal(order, 'xyyxyyxx');
  });
});
