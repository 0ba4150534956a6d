/** The overlap computation the chaos test relies on: two containers of one task uid running at once, and for how long. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { overlaps, type Life } from './containers.js';

const life = (id: string, task: string, startedMs?: number, endedMs?: number): Life => ({ id, task, name: `default/${task}`, ...(startedMs !== undefined ? { startedMs } : {}), ...(endedMs !== undefined ? { endedMs } : {}) });

describe('overlaps', () => {
  it('finds two containers of one uid running at once, a running one lasting until now, longest first', () => {
    const got = overlaps([life('a1', 'A', 0, 1000), life('a2', 'A', 900, 2000), life('b1', 'B', 0), life('b2', 'B', 500), life('c1', 'C', 0, 10)], 3000);
    assert.deepEqual(got.map((o) => [o.task, o.a, o.b, o.ms]), [['B', 'b1', 'b2', 2500], ['A', 'a1', 'a2', 100]]);
  });
  it('one after the other, other uids, never started: no overlap', () => {
    assert.deepEqual(overlaps([life('a1', 'A', 0, 1000), life('a2', 'A', 1000, 2000), life('b1', 'B', 0, 5000), life('a3', 'A')], 9000), []);
  });
});
