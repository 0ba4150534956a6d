import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readLastOutput, tail } from './last-output.js';

describe('tail', () => {
  const cases: [string, string, number, string | undefined][] = [
    ['empty', '', 100, undefined],
    ['only blanks', '\n \n', 100, undefined],
    ['short: all of it, trailing newline dropped', 'a\nb\n', 100, 'a\nb'],
    ['long, cut on a line end: whole lines', 'first line\nsecond\nthird\n', 14, 'second\nthird'],
    ['long, cut mid-line: that line dropped', 'first line\nsecond\nthird\n', 12, 'third'],
    ['one long line: its end', 'x'.repeat(50), 10, 'x'.repeat(10)],
  ];
  for (const [name, input, max, want] of cases) it(name, () => assert.equal(tail(Buffer.from(input), max), want));

  it('a multi-byte character cut in two is dropped', () => {
    assert.equal(tail(Buffer.from('ééé'), 5), 'éé');
  });
});

describe('readLastOutput', () => {
  it('reads the stream to its end and keeps the tail', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}\n`);
    const out = await readLastOutput(async () => Readable.from(lines), 1000, 30);
    assert.equal(out, 'line 497\nline 498\nline 499');
  });

  it('gives up after the timeout on a stream that never ends', async () => {
    const never = new Readable({ read() {} });
    never.push('waiting\n');
    const t0 = Date.now();
    assert.equal(await readLastOutput(async () => never, 100), undefined);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(never.destroyed, true, 'the stream is closed');
  });

  it('an error opening the logs is no output', async () => {
    assert.equal(await readLastOutput(async () => Promise.reject(new Error('no such container'))), undefined);
  });
});
