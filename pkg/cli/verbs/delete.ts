/** `stowctl delete`: its flags and help (loaded at start); what it does is in ../commands/delete.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { DeleteOptions } from '../commands/delete.js';
import type { Deps, Io } from '../context.js';
import { collect } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/delete.js');

export function registerDelete(program: Command, io: Io, deps: Deps): void {
  program
    .command('delete')
    .description('delete objects by kind and name, or those in manifests')
    .argument('[args...]', 'KIND NAME... or KIND/NAME...')
    .option('-f, --filename <path>', 'delete the objects in these manifests (repeatable)', collect, [])
    .option('-R, --recursive', 'read directories given with -f recursively')
    .option('--ignore-not-found', 'a missing object is not an error')
    .action(async (args: string[], opts: DeleteOptions, cmd: Command) => (await impl()).runDelete(await ctxOf(cmd, io, deps), args, opts));
}
