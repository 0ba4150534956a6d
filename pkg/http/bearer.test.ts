import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseToken } from './bearer.js';

describe('token files', () => {
  it('take the one token, without surrounding whitespace', () => {
    assert.equal(parseToken('--token-file', 'f', '  abc123\n'), 'abc123');
  });
  it('refuse an empty file or more than one word, naming flag and file but not the content', () => {
    assert.throws(() => parseToken('--token-file', '/t', ' \n'), { message: '--token-file: /t is empty; it should hold the API token' });
    assert.throws(() => parseToken('--token-file', '/t', 'sec ret\n'), { message: '--token-file: /t does not hold one token (printable characters without spaces, on one line)' });
  });
});
