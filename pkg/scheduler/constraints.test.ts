import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkNode, placeMany, snap, tally } from './testkit.js';

/** 3 racks x 2 nodes, one node without a rack attribute. */
function racks() {
  return snap([
    mkNode('a1', { attrs: { rack: 'r1', zone: 'z1' } }),
    mkNode('a2', { attrs: { rack: 'r1', zone: 'z1' } }),
    mkNode('b1', { attrs: { rack: 'r2', zone: 'z2' } }),
    mkNode('b2', { attrs: { rack: 'r2', zone: 'z2' } }),
    mkNode('c1', { attrs: { rack: 'r3', zone: 'z1' } }),
    mkNode('c2', { attrs: { rack: 'r3', zone: 'z1' } }),
    mkNode('x', { attrs: {} }),
  ]);
}
const rackOf = (n: string) => (n.startsWith('FAIL') ? 'FAIL' : n === 'x' ? 'none' : { a: 'r1', b: 'r2', c: 'r3' }[n[0]!]!);

describe('constraint operators (Marathon semantics), one owner', () => {
  const owner = 'service/web';

  it('UNIQUE hostname: one task per node, then the reason', () => {
    const got = placeMany(racks(), 8, { owner, constraints: [['hostname', 'UNIQUE']] });
    assert.equal(new Set(got.slice(0, 7)).size, 7);
    assert.equal(got[7], 'FAIL 0/7 nodes fit: 7 constraint hostname UNIQUE');
  });

  it('UNIQUE rack: one per rack; a node without the attribute is not eligible', () => {
    const got = placeMany(racks(), 4, { owner, constraints: [['rack', 'UNIQUE']] });
    assert.deepEqual(tally(got.slice(0, 3), rackOf), { r1: 1, r2: 1, r3: 1 });
    assert.equal(got[3], 'FAIL 0/7 nodes fit: 7 constraint rack UNIQUE');
  });

  it('CLUSTER value: only nodes whose field equals it', () => {
    const got = placeMany(racks(), 6, { owner, constraints: [['rack', 'CLUSTER', 'r2']] });
    assert.deepEqual(tally(got, rackOf), { r2: 6 });
  });

  it('CLUSTER without a value is refused by the validator, and the task says why', () => {
    const got = placeMany(racks(), 1, { owner, constraints: [['zone', 'CLUSTER']] });
    assert.deepEqual(got, ['FAIL invalid constraint: zone CLUSTER: CLUSTER takes a value, got none']);
  });

  it('CLUSTER on an unknown value fits nowhere', () => {
    const got = placeMany(racks(), 1, { owner, constraints: [['rack', 'CLUSTER', 'r9']] });
    assert.deepEqual(got, ['FAIL 0/7 nodes fit: 7 constraint rack CLUSTER r9']);
  });

  it('IS value: exact equality', () => {
    const got = placeMany(racks(), 4, { owner, constraints: [['zone', 'IS', 'z2']] });
    assert.deepEqual(tally(got, rackOf), { r2: 4 });
  });

  it('GROUP_BY across three racks spreads 3/3/3', () => {
    const got = placeMany(racks(), 9, { owner, constraints: [['rack', 'GROUP_BY']] });
    assert.deepEqual(tally(got, rackOf), { r1: 3, r2: 3, r3: 3 });
  });

  it('GROUP_BY 3: each prefix is as even as it can be', () => {
    const got = placeMany(racks(), 7, { owner, constraints: [['rack', 'GROUP_BY', '3']] });
    for (let k = 1; k <= 7; k++) {
      const counts = Object.values(tally(got.slice(0, k), rackOf));
      while (counts.length < 3) counts.push(0);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `after ${k}: ${counts}`);
    }
  });

  it('GROUP_BY n larger than the values known: Marathon waits for the n-th value', () => {
    const got = placeMany(racks(), 4, { owner, constraints: [['rack', 'GROUP_BY', '4']] });
    assert.deepEqual(tally(got.slice(0, 3), rackOf), { r1: 1, r2: 1, r3: 1 });
    assert.equal(got[3], 'FAIL 0/7 nodes fit: 7 constraint rack GROUP_BY 4');
  });

  it('GROUP_BY falls back to the next count when the emptiest rack is full', () => {
    const s = snap([
      mkNode('a1', { cpus: 1, attrs: { rack: 'r1' } }),
      mkNode('b1', { cpus: 4, attrs: { rack: 'r2' } }),
      mkNode('c1', { cpus: 4, attrs: { rack: 'r3' } }),
    ]);
    const got = placeMany(s, 6, { owner, cpus: 1, constraints: [['rack', 'GROUP_BY']] });
    assert.deepEqual(tally(got, rackOf), { r1: 1, r2: 3, r3: 2 });
    assert.equal(got.filter((n) => n.startsWith('FAIL')).length, 0);
  });

  it('MAX_PER 2 stops at two per rack', () => {
    const got = placeMany(racks(), 7, { owner, constraints: [['rack', 'MAX_PER', '2']] });
    assert.deepEqual(tally(got.slice(0, 6), rackOf), { r1: 2, r2: 2, r3: 2 });
    assert.equal(got[6], 'FAIL 0/7 nodes fit: 7 constraint rack MAX_PER 2');
  });

  it('MAX_PER 2 on hostname', () => {
    const s = snap([mkNode('a'), mkNode('b')]);
    const got = placeMany(s, 5, { owner, constraints: [['hostname', 'MAX_PER', '2']] });
    assert.deepEqual(tally(got.slice(0, 4)), { a: 2, b: 2 });
    assert.equal(got[4], 'FAIL 0/2 nodes fit: 2 constraint hostname MAX_PER 2');
  });

  it('LIKE: full match; a node lacking the attribute fails', () => {
    const got = placeMany(racks(), 9, { owner, cpus: 2, constraints: [['rack', 'LIKE', 'r[13]']] });
    assert.deepEqual(tally(got.slice(0, 8), rackOf), { r1: 4, r3: 4 });
    assert.equal(got[8], 'FAIL 0/7 nodes fit: 4 insufficient cpus, 3 constraint rack LIKE r[13]');
  });

  it('LIKE is not a substring search', () => {
    const got = placeMany(racks(), 1, { owner, constraints: [['rack', 'LIKE', 'r']] });
    assert.deepEqual(got, ['FAIL 0/7 nodes fit: 7 constraint rack LIKE r']);
  });

  it('UNLIKE: full match negated; a node lacking the attribute passes', () => {
    const got = placeMany(racks(), 7, { owner, cpus: 2, constraints: [['rack', 'UNLIKE', 'r[12]']] });
    assert.deepEqual(tally(got.slice(0, 6), rackOf), { r3: 4, none: 2 });
    assert.equal(got[6], 'FAIL 0/7 nodes fit: 4 constraint rack UNLIKE r[12], 3 insufficient cpus');
  });

  it('hostname LIKE matches the node name', () => {
    const got = placeMany(racks(), 3, { owner, constraints: [['hostname', 'LIKE', 'b.']] });
    assert.deepEqual(new Set(got.map(rackOf)), new Set(['r2']));
  });

  it('a hostname attribute never overrides the node name', () => {
    const s = snap([mkNode('n1', { attrs: { hostname: 'other' } })]);
    assert.deepEqual(placeMany(s, 1, { owner, constraints: [['hostname', 'IS', 'n1']] }), ['n1']);
  });

  it('constraints count only the same owner, in the same namespace', () => {
    const s = racks();
    placeMany(s, 7, { owner, constraints: [['hostname', 'UNIQUE']] }, 'a');
    assert.equal(placeMany(s, 7, { owner: 'service/other', constraints: [['hostname', 'UNIQUE']] }, 'b').filter((n) => n.startsWith('FAIL')).length, 0);
    assert.equal(placeMany(s, 7, { owner, namespace: 'prod', constraints: [['hostname', 'UNIQUE']] }, 'c').filter((n) => n.startsWith('FAIL')).length, 0);
  });

  it('an invalid constraint is reported, not thrown', () => {
    const got = placeMany(racks(), 1, { owner, constraints: [['rack', 'NEAR', 'x'] as unknown as [string, string, string]] });
    assert.match(got[0]!, /^FAIL invalid constraint: rack NEAR x: unknown operator "NEAR"/);
  });
});
