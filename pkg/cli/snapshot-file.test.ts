import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSnapshotFile } from './snapshot-file.js';

/** A body the way etcd sends one: the database, then its SHA-256. */
const snapshot = (n: number): Buffer => {
  const db = randomBytes(n);
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
};
/** The bytes in chunks of these sizes (the last takes the rest). */
async function* chunks(b: Buffer, sizes: number[], fail?: Error): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const s of sizes) {
    yield b.subarray(at, at + s);
    at += s;
  }
  if (fail) throw fail;
  if (at < b.length) yield b.subarray(at);
}

describe('writeSnapshotFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-snapfile-'));

  it('writes the whole snapshot, mode 0600, whatever the chunking (the hash may straddle chunks)', async () => {
    const b = snapshot(100_000);
    for (const sizes of [[], [1], [99_990, 20], [50_000, 50_031], [100_031]]) {
      const file = join(dir, `ok-${sizes.join('-')}.db`);
      assert.deepEqual(await writeSnapshotFile(file, chunks(b, sizes)), { bytes: b.length });
      assert.ok(readFileSync(file).equals(b));
      assert.equal(statSync(file).mode & 0o777, 0o600);
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  it('a snapshot cut off or damaged leaves the file as it was, and no temporary file', async () => {
    const file = join(dir, 'kept.db');
    writeFileSync(file, 'the previous backup');
    const b = snapshot(10_000);
    await assert.rejects(writeSnapshotFile(file, chunks(b.subarray(0, 5000), [])), {
      message: `the snapshot received (5000 bytes) does not end with the SHA-256 of its contents: it was cut off or damaged; ${file} was not written`,
    });
    const bad = Buffer.from(b);
    bad[10] = bad[10]! ^ 1;
    await assert.rejects(writeSnapshotFile(file, chunks(bad, [])), /does not end with the SHA-256/);
    await assert.rejects(writeSnapshotFile(file, chunks(b, [4096], new Error('aborted'))), {
      message: `the snapshot stream broke after 4096 bytes (aborted); ${file} was not written`,
    });
    assert.equal(readFileSync(file, 'utf8'), 'the previous backup');
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  it('names FILE when it cannot be written', async () => {
    const missing = join(dir, 'no/such/dir/x.db');
    await assert.rejects(writeSnapshotFile(missing, chunks(snapshot(10), [])), { message: `FILE: cannot write ${missing}: its directory ${join(dir, 'no/such/dir')} does not exist` });
    await assert.rejects(writeSnapshotFile('', chunks(snapshot(10), [])), { message: 'FILE: the path of the backup file is empty' });
  });
});
