/**
 * Writing an etcd snapshot to a file, whole or not at all:
 *
 *   chunks ──► FILE.tmp-<pid> (mode 0600: it holds every secret) ──► fsync ──► rename to FILE
 *
 * etcd ends every snapshot with the SHA-256 of the bytes before it (what
 * `etcdctl snapshot restore` checks); it is checked here too, so a file that
 * was cut off or damaged on the way is never renamed into place. On any
 * failure the temporary file is removed and FILE is left as it was.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError } from './errors.js';

const HASH_BYTES = 32;

export interface SnapshotWritten {
  bytes: number;
}

export async function writeSnapshotFile(file: string, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotWritten> {
  if (file.trim() === '') throw new CliError('FILE: the path of the backup file is empty');
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  let fh;
  try {
    fh = await open(tmp, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `its directory ${dirname(file)} does not exist` : code === 'EACCES' ? `permission denied in ${dirname(file)}` : (e as Error).message;
    throw new CliError(`FILE: cannot write ${file}: ${why}`);
  }
  const hash = createHash('sha256');
  let tail = Buffer.alloc(0);
  let bytes = 0;
  try {
    for await (const c of chunks) {
      const b = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      await fh.write(b);
      bytes += b.length;
      // hash everything but the last 32 bytes seen so far
      const all = tail.length ? Buffer.concat([tail, b]) : b;
      const cut = Math.max(0, all.length - HASH_BYTES);
      hash.update(all.subarray(0, cut));
      tail = Buffer.from(all.subarray(cut));
    }
    if (bytes <= HASH_BYTES || !hash.digest().equals(tail)) {
      throw new CliError(`the snapshot received (${bytes} bytes) does not end with the SHA-256 of its contents: it was cut off or damaged; ${file} was not written`);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, file);
    return { bytes };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    if (e instanceof CliError) throw e;
    throw new CliError(`the snapshot stream broke after ${bytes} bytes (${(e as Error).message}); ${file} was not written`);
  }
}
