/** `stowctl get`: its flags and help (loaded at start); what it does is in ../commands/get.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { GetOptions } from '../commands/get.js';
import type { Deps, Io } from '../context.js';
import { nonNegativeInt } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/get.js');

export function registerGet(program: Command, io: Io, deps: Deps): void {
  program
    .command('get')
    .description('list objects of a kind, or show some by name')
    .argument('<kind>', 'kind (services, svc, ..., or endpoints) or KIND/NAME')
    .argument('[names...]', 'names of objects to show')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=cache')
    .option('-w, --watch', 'after listing, print a row for each change')
    .option('--chunk-size <n>', 'read a list in pages of this many objects, one consistent snapshot (0: in one answer)', nonNegativeInt('--chunk-size'), 500)
    .action(async (kind: string, names: string[], opts: GetOptions, cmd: Command) => {
      await (await impl()).runGet(await ctxOf(cmd, io, deps), [kind, ...names], opts);
    });
}
