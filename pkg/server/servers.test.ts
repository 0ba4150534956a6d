import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverList } from './servers.js';

describe('serverList', () => {
  it('the lowest create revision leads; the standbys follow in the order they would take over', () => {
    const r = serverList(
      [
        { identity: 'b/2@127.0.0.1:7071', createRevision: '120' },
        { identity: 'a/1@127.0.0.1:7070', createRevision: '9' },
        { identity: 'c/3@0.0.0.0:7072', createRevision: '100' },
      ],
      'b/2@127.0.0.1:7071',
      '130',
    );
    assert.deepEqual(r, {
      items: [
        { identity: 'a/1@127.0.0.1:7070', address: '127.0.0.1:7070', leader: true, self: false, createRevision: '9' },
        { identity: 'c/3@0.0.0.0:7072', address: 'c:7072', leader: false, self: false, createRevision: '100' },
        { identity: 'b/2@127.0.0.1:7071', address: '127.0.0.1:7071', leader: false, self: true, createRevision: '120' },
      ],
      leader: 'a/1@127.0.0.1:7070',
      revision: '130',
    });
  });
  it('compares revisions as numbers, not text (int64 strings)', () => {
    const r = serverList([{ identity: 'x', createRevision: '10' }, { identity: 'y', createRevision: '9' }, { identity: 'z', createRevision: '9007199254740993' }], undefined, '1');
    assert.deepEqual(r.items.map((i) => i.identity), ['y', 'x', 'z']);
    assert.equal(r.items[0]!.address, null, 'an identity without an address');
  });
  it('no candidates: no leader', () => {
    assert.deepEqual(serverList([], 'a', '5'), { items: [], leader: null, revision: '5' });
  });
});
