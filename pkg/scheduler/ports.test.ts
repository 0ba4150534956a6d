import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PortPool } from './ports.js';

describe('PortPool', () => {
  const pool = () => new PortPool([{ begin: 100, end: 102 }, { begin: 200, end: 201 }]);
  it('flattens ranges', () => {
    const p = pool();
    assert.equal(p.total, 5);
    assert.deepEqual([100, 102, 200, 201, 103, 99].map((x) => p.indexOf(x)), [0, 2, 3, 4, -1, -1]);
    assert.deepEqual([0, 2, 3, 4].map((i) => p.portAt(i)), [100, 102, 200, 201]);
  });
  it('take and release keep the free count, outside ports ignored', () => {
    const p = pool();
    p.take([100, 200, 8080]);
    assert.equal(p.free, 3);
    assert.equal(p.isFree(100), false);
    assert.equal(p.isFree(8080), false);
    p.release([100, 8080, 101]);
    assert.equal(p.free, 4);
  });
  it('a port claimed twice stays taken until both release it', () => {
    const p = pool();
    p.take([100]);
    p.take([100]);
    p.release([100]);
    assert.equal(p.isFree(100), false);
    p.release([100]);
    assert.equal(p.isFree(100), true);
  });
  it('pick goes round-robin from the cursor and skips the avoided ports', () => {
    const p = new PortPool([{ begin: 100, end: 104 }], 3);
    assert.deepEqual(p.pick(3, [104]), [103, 100, 101]);
    p.take([103]);
    p.advance(103);
    assert.deepEqual(p.pick(1, []), [104]);
    assert.equal(p.pick(5, []), undefined);
    assert.deepEqual(p.pick(0, []), []);
  });
});
