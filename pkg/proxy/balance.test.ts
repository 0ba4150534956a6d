import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { choose, type Candidate, type Strategy } from './balance.js';

const cands = (...active: number[]): Candidate[] => active.map((a, i) => ({ key: `h:${i}`, active: a, penalized: false }));

/** Pick n times (nothing ever finishes unless `finish`), returning the indexes picked. */
function run(strategy: Strategy, c: Candidate[], n: number, finish = true): number[] {
  let cursor = 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ch = choose(strategy, c, cursor, new Set())!;
    out.push(ch.index);
    cursor = ch.cursor;
    if (!finish) c[ch.index]!.active++;
  }
  return out;
}

describe('choose', () => {
  it('round-robin takes each instance in turn', () => {
    assert.deepEqual(run('round-robin', cands(0, 0, 0), 7), [0, 1, 2, 0, 1, 2, 0]);
  });

  it('round-robin ignores open connections', () => {
    assert.deepEqual(run('round-robin', cands(9, 0, 0), 3), [0, 1, 2]);
  });

  it('least-connections takes the fewest open connections', () => {
    assert.equal(choose('least-connections', cands(3, 1, 2), 0, new Set())!.index, 1);
  });

  it('least-connections breaks ties in turn, so equal instances share the load', () => {
    assert.deepEqual(run('least-connections', cands(0, 0, 0), 6), [0, 1, 2, 0, 1, 2]);
  });

  it('least-connections with connections that stay open fills the emptiest first', () => {
    assert.deepEqual(run('least-connections', cands(2, 0, 1), 5, false), [1, 2, 1, 2, 0]);
  });

  it('never picks an instance this connection already tried; nothing left is undefined', () => {
    const c = cands(0, 0, 0);
    assert.equal(choose('round-robin', c, 0, new Set(['h:0']))!.index, 1);
    assert.equal(choose('least-connections', c, 0, new Set(['h:0', 'h:1']))!.index, 2);
    assert.equal(choose('round-robin', c, 0, new Set(['h:0', 'h:1', 'h:2'])), undefined);
    assert.equal(choose('least-connections', [], 0, new Set()), undefined);
  });

  it('picks a penalized instance only when no other is left', () => {
    const c = cands(0, 5, 0);
    c[0]!.penalized = true;
    c[2]!.penalized = true;
    assert.equal(choose('round-robin', c, 0, new Set())!.index, 1);
    assert.equal(choose('least-connections', c, 0, new Set())!.index, 1, 'before a less loaded but penalized one');
    assert.equal(choose('round-robin', c, 0, new Set(['h:1']))!.index, 0, 'all left are penalized: still tried');
  });

  it('a cursor past the end (instances went away) wraps around', () => {
    assert.equal(choose('round-robin', cands(0, 0), 7, new Set())!.index, 1);
    assert.equal(choose('round-robin', cands(0, 0), -3, new Set())!.index, 1);
  });

  it('properties: a pick is an untried instance; untried unpenalized ones win; least-connections picks a minimum', () => {
    const arb = fc.record({
      c: fc.array(fc.record({ active: fc.nat(5), penalized: fc.boolean(), tried: fc.boolean() }), { maxLength: 8 }),
      cursor: fc.integer({ min: -20, max: 20 }),
      strategy: fc.constantFrom<Strategy>('round-robin', 'least-connections'),
    });
    fc.assert(
      fc.property(arb, ({ c, cursor, strategy }) => {
        const candidates = c.map((x, i) => ({ key: `k${i}`, active: x.active, penalized: x.penalized }));
        const tried = new Set(c.flatMap((x, i) => (x.tried ? [`k${i}`] : [])));
        const ch = choose(strategy, candidates, cursor, tried);
        const untried = candidates.filter((x) => !tried.has(x.key));
        if (untried.length === 0) return ch === undefined;
        if (!ch) return false;
        const p = candidates[ch.index]!;
        if (tried.has(p.key)) return false;
        const pool = untried.some((x) => !x.penalized) ? untried.filter((x) => !x.penalized) : untried;
        if (!pool.includes(p)) return false;
        if (strategy === 'least-connections' && pool.some((x) => x.active < p.active)) return false;
        return ch.cursor === ch.index + 1;
      }),
    );
  });

  it('property: round-robin over n equal instances gives each one every n-th pick', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), (n, rounds) => {
        const counts = new Array<number>(n).fill(0);
        for (const i of run('round-robin', cands(...new Array<number>(n).fill(0)), n * rounds)) counts[i]!++;
        return counts.every((x) => x === rounds);
      }),
    );
  });
});
