/**
 * The commands tests run: the built binaries when STOWAGE_BIN / STOWCTL_BIN
 * name them (`make test` sets both, after `make build`: what a user runs,
 * and a process starts without compiling TypeScript), else the sources
 * through tsx. `nodeArgs` (e.g. --cpu-prof) go to node on the sources only.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const fromSources = (main: string, nodeArgs: string[]) => [process.execPath, ...nodeArgs, '--import', 'tsx', resolve(ROOT, main)];

/** `stowage` (server, agent, proxy: the subcommand comes after). */
export function stowageCommand(nodeArgs: string[] = []): string[] {
  return process.env.STOWAGE_BIN ? [process.env.STOWAGE_BIN] : fromSources('cmd/stowage/main.ts', nodeArgs);
}

/** `stowctl`. */
export function stowctlCommand(): string[] {
  return process.env.STOWCTL_BIN ? [process.env.STOWCTL_BIN] : fromSources('cmd/stowctl/main.ts', []);
}
