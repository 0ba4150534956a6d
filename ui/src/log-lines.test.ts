import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './log-lines.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LineSplitter', () => {
  it('gives whole lines only, keeping the one still written for the next chunk', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(bytes('one\ntw')), ['one']);
    assert.deepEqual(s.push(bytes('o\n\nthree')), ['two', '']);
    assert.deepEqual(s.end(), ['three']);
    assert.deepEqual(s.end(), []);
  });
  it('a character cut between chunks, and CRLF line ends', () => {
    const s = new LineSplitter();
    const b = bytes('żółw\r\nok\n');
    assert.deepEqual(s.push(b.slice(0, 1)), []);
    assert.deepEqual(s.push(b.slice(1)), ['żółw', 'ok']);
    assert.deepEqual(s.end(), []);
  });
});
