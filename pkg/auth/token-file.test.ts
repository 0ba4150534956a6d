import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../log/logger.js';
import { TokenFile } from './token-file.js';

const line = (user: string, token: string) => `  - {user: ${user}, role: viewer, sha256: ${createHash('sha256').update(token).digest('hex')}}\n`;
const within = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the tokens file, followed', () => {
  for (const fsWatch of [true, false]) {
    it(`reloads on change, atomic replaces included; keeps the last good tokens (${fsWatch ? 'fs.watch' : 'the poll alone'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stowage-tokens-'));
      const path = join(dir, 'tokens.yaml');
      const lines: { level: string; message: string }[] = [];
      writeFileSync(path, `tokens:\n${line('a', 'tok-a')}`);
      const f = await TokenFile.open(path, memoryLogger(lines), { pollMs: 50, fsWatch });
      try {
        assert.equal(f.auth.lookup('tok-a')?.user, 'a');
        writeFileSync(path, `tokens:\n${line('b', 'tok-b')}`);
        await within('b', () => f.auth.lookup('tok-b') !== undefined);
        assert.equal(f.auth.lookup('tok-a'), undefined, 'a removed');
        // a deploy's way: write beside, rename over
        writeFileSync(join(dir, 'next'), `tokens:\n${line('c', 'tok-c')}`);
        renameSync(join(dir, 'next'), path);
        await within('c', () => f.auth.lookup('tok-c') !== undefined);
        writeFileSync(path, 'tokens: [{user: x}]\n');
        await within('the refusal logged', () => lines.some((l) => l.message === 'tokens file not valid; keeping the last good tokens'));
        assert.equal(f.auth.lookup('tok-c')?.user, 'c', 'the last good tokens stay');
        rmSync(path);
        await within('the missing file logged', () => lines.some((l) => l.message === 'tokens file unreadable; keeping the last good tokens'));
        assert.equal(f.auth.lookup('tok-c')?.user, 'c');
        assert.equal(lines.filter((l) => l.message === 'tokens file not valid; keeping the last good tokens').length, 1, 'one bad edit, one line');
      } finally {
        f.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
