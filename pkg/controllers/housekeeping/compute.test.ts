import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactTarget, quotaCheck } from './compute.js';

describe('compactTarget', () => {
  it('compacts to the revision seen one interval ago', () => {
    assert.equal(compactTarget('120', undefined), '120');
    assert.equal(compactTarget('120', '100'), '120');
  });
  it('does nothing on the first tick, at revision 1, or when that revision is already compacted', () => {
    assert.equal(compactTarget(undefined, undefined), undefined);
    assert.equal(compactTarget('1', undefined), undefined);
    assert.equal(compactTarget('120', '120'), undefined);
    assert.equal(compactTarget('120', '130'), undefined);
  });
  it('compares revisions as numbers, not strings', () => {
    assert.equal(compactTarget('1000', '999'), '1000');
    assert.equal(compactTarget('999', '1000'), undefined);
  });
});

describe('quotaCheck', () => {
  const GiB = 1 << 30;
  it('warns once when the database crosses 80% of the quota and once when it falls back', () => {
    assert.deepEqual(quotaCheck(1.5 * GiB, 2 * GiB, false), { over: false, ratio: 0.75, change: undefined });
    assert.deepEqual(quotaCheck(1.6 * GiB, 2 * GiB, false), { over: true, ratio: 0.8, change: 'over' });
    assert.equal(quotaCheck(1.9 * GiB, 2 * GiB, true).change, undefined);
    assert.equal(quotaCheck(1.0 * GiB, 2 * GiB, true).change, 'back');
  });
  it('a quota of 0 never warns', () => {
    assert.equal(quotaCheck(GiB, 0, false).over, false);
  });
});
