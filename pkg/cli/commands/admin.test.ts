import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defragTable } from './admin.js';

describe('stowctl admin defrag', () => {
  it("prints each member's size before and after, and why one failed", () => {
    const out = defragTable([
      { name: 's1', id: '8e9e05c52164694d', endpoint: 'http://127.0.0.1:2379', dbSizeBefore: 2 << 20, dbSizeAfter: 20480, durationMs: 41 },
      { name: '', id: '91bc3c398fb3c146', endpoint: 'http://127.0.0.1:22379', error: 'etcd is unavailable: connect ECONNREFUSED' },
    ]);
    assert.equal(
      out,
      [
        'MEMBER             ENDPOINT                 BEFORE   AFTER    TOOK',
        's1                 http://127.0.0.1:2379    2.0Mi    20.0Ki   41ms',
        '91bc3c398fb3c146   http://127.0.0.1:22379   -        -        failed: etcd is unavailable: connect ECONNREFUSED',
        '',
      ].join('\n'),
    );
  });
});
