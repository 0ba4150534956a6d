/** `stowctl version [--client]`: its flags and help (loaded at start); asking the server is in ../commands/version.ts, loaded when it runs. */
import type { Command } from 'commander';
import { VERSION } from '../../version.js';
import type { Deps, Io } from '../context.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/version.js');

export function registerVersion(program: Command, io: Io, deps: Deps): void {
  program
    .command('version')
    .description("print the client's and the server's version")
    .option('--client', "print the client's version only (asks no server)")
    .action(async (o: { client?: boolean }, cmd: Command) => {
      if (!o.client) return (await impl()).runVersion(await ctxOf(cmd, io, deps), VERSION);
      const json = (cmd.optsWithGlobals() as { output?: string }).output === 'json';
      io.stdout.write(json ? JSON.stringify({ client: VERSION }, null, 2) + '\n' : `client: ${VERSION}\n`);
    });
}
