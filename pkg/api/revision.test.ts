import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRevision } from './revision.js';

describe('isRevision', () => {
  it('takes decimal int64s', () => {
    for (const s of ['0', '1', '42', '007', '9223372036854775807']) assert.equal(isRevision(s), true, s);
  });
  it('refuses the empty string, signs, other text and what int64 cannot hold', () => {
    for (const s of ['', '-1', '+1', '1.0', '1e3', 'abc', ' 1', '0x10', '9223372036854775808', '18446744073709551617', '1'.repeat(40)]) {
      assert.equal(isRevision(s), false, s);
    }
  });
});
