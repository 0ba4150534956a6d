/**
 * What the host offers when the flags do not say: all its cores, all its
 * memory (MiB) and the free space (MiB) of the filesystem holding the
 * container engine's data (Docker's DockerRootDir; / for hollow nodes).
 */
import { statfs } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { Resources } from '../api/types.js';

const MiB = 1024 * 1024;

/** `given` wins; `dataRoot` names the directory whose free space is the disk capacity. */
export async function hostCapacity(given: Partial<Resources>, dataRoot: () => Promise<string>): Promise<Resources> {
  return {
    cpus: given.cpus ?? cpus().length,
    mem: given.mem ?? Math.floor(totalmem() / MiB),
    disk: given.disk ?? (await freeDiskMiB(dataRoot)),
  };
}

async function freeDiskMiB(dataRoot: () => Promise<string>): Promise<number> {
  let dir = '/';
  try {
    dir = await dataRoot();
  } catch {
    // the engine did not say: the root filesystem is the best guess
  }
  for (const d of [dir, '/']) {
    try {
      const s = await statfs(d);
      return Math.floor((s.bavail * s.bsize) / MiB);
    } catch {
      // not there (yet): try the next
    }
  }
  return 0;
}
