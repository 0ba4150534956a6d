import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile } from './feasible.js';
import { place } from './place.js';
import { binpackScore, spreadScore } from './rank.js';
import { ClusterSnapshot } from './snapshot.js';
import { mkNode, mkReq, placeMany, snap, tally } from './testkit.js';

describe('scores', () => {
  const s = snap([
    mkNode('full', { cpus: 4, mem: 4096, tasks: { 'default/x': { cpus: 3, mem: 3072, disk: 0, ports: [] } } }),
    mkNode('half', { cpus: 4, mem: 4096, tasks: { 'default/y': { cpus: 2, mem: 2048, disk: 0, ports: [] } } }),
    mkNode('empty', { cpus: 4, mem: 4096 }),
    mkNode('cpu-full', { cpus: 4, mem: 4096, tasks: { 'default/z': { cpus: 3, mem: 0, disk: 0, ports: [] } } }),
  ]);
  const c = compile(mkReq('t', { cpus: 0.5, mem: 512 }), s);
  const rows: [string, string, string][] = [
    ['binpack prefers the fuller node', 'full', 'half'],
    ['binpack prefers half-used to empty', 'half', 'empty'],
    ['binpack prefers full on both over full on cpu only', 'full', 'cpu-full'],
  ];
  for (const [name, better, worse] of rows) {
    it(name, () => assert.ok(binpackScore(s.node(better)!, c) > binpackScore(s.node(worse)!, c)));
  }
  it('spread prefers the emptier node', () => assert.ok(spreadScore(s.node('empty')!, c) > spreadScore(s.node('half')!, c)));
  it('spread prefers a node without the owner’s tasks', () => {
    const s2 = snap([mkNode('a', { cpus: 8 }), mkNode('b', { cpus: 4 })]);
    s2.assume(mkReq('old', { owner: 'service/web', cpus: 0.1 }), 'a', {});
    const c2 = compile(mkReq('t', { owner: 'service/web' }), s2);
    assert.ok(spreadScore(s2.node('b')!, c2) > spreadScore(s2.node('a')!, c2));
  });
});

describe('place: ranking end to end', () => {
  const nodes = () => [mkNode('a', { cpus: 4 }), mkNode('b', { cpus: 4 }), mkNode('c', { cpus: 4 })];
  it('binpack fills one node before the next', () => {
    const got = placeMany(snap(nodes()), 8, { cpus: 1 });
    assert.deepEqual(Object.values(tally(got)).sort(), [4, 4]);
    assert.equal(got[0], got[3]);
  });
  it('spread goes round the nodes', () => {
    const got = placeMany(snap(nodes()), 6, { cpus: 1, placement: 'spread', owner: 'service/s' });
    assert.deepEqual(tally(got), { a: 2, b: 2, c: 2 });
  });
  it('binpack finds the tight fit that leaves room for big tasks', () => {
    const s = snap([mkNode('big', { cpus: 8, mem: 8192 }), mkNode('small', { cpus: 2, mem: 2048 })]);
    assert.deepEqual(placeMany(s, 1, { cpus: 2, mem: 2048 }), ['small']);
    assert.deepEqual(placeMany(s, 1, { cpus: 8, mem: 8192 }, 'big'), ['big']);
  });
  it('with a limit, binpack on a big cluster still takes a tight node', () => {
    const ns = [];
    for (let i = 0; i < 200; i++) ns.push(mkNode(`n${i}`, { cpus: 16, mem: 65536, tasks: i === 137 ? { 'default/x': { cpus: 15, mem: 60000, disk: 0, ports: [] } } : {} }));
    const r = place(mkReq('t', { cpus: 1, mem: 1024 }), snap(ns));
    assert.equal(r.ok && r.node, 'n137');
  });
});

describe('determinism', () => {
  const cluster = () => Array.from({ length: 100 }, (_, i) => mkNode(`n${i}`, { cpus: 8, mem: 16384, attrs: { rack: `r${i % 7}` } }));
  const run = (seed: number) => {
    const s = ClusterSnapshot.from(cluster(), [], { seed });
    const out: string[] = [];
    for (let i = 0; i < 300; i++) {
      const req = mkReq(`t${i}`, { cpus: 0.5 + (i % 4), mem: 512 * (1 + (i % 5)), owner: `service/s${i % 9}`, placement: i % 3 ? 'binpack' : 'spread', ports: i % 2 ? [{ name: 'p' }] : [], constraints: i % 9 === 0 ? [['rack', 'GROUP_BY']] : [] });
      const r = place(req, s);
      if (r.ok) s.assume(req, r.node, r.ports);
      out.push(r.ok ? `${r.node}:${Object.values(r.ports)}` : r.failure.summary);
    }
    return out;
  };
  it('same seed, same placements', () => assert.deepEqual(run(42), run(42)));
  it('another seed, another order', () => assert.notDeepEqual(run(42), run(43)));
});
