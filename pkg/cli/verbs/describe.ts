/** `stowctl describe`: its flags and help (loaded at start); what it does is in ../commands/describe.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { Deps, Io } from '../context.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/describe.js');

export function registerDescribe(program: Command, io: Io, deps: Deps): void {
  program
    .command('describe')
    .description('show an object in detail, with its tasks and events')
    .argument('<kind>', 'kind or KIND/NAME')
    .argument('[names...]')
    .action(async (kind: string, names: string[], _opts: object, cmd: Command) => (await impl()).runDescribe(await ctxOf(cmd, io, deps), [kind, ...names]));
}
