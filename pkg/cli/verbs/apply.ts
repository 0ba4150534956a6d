/** `stowctl apply -f`: its flags and help (loaded at start); what it does is in ../commands/apply.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { ApplyOptions } from '../commands/apply.js';
import type { Deps, Io } from '../context.js';
import { collect } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/apply.js');

export function registerApply(program: Command, io: Io, deps: Deps): void {
  program
    .command('apply')
    .description('create or update the objects in manifests (YAML or JSON)')
    .option('-f, --filename <path>', 'a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'read directories given with -f recursively')
    .option('--wait', 'wait until every applied service has finished rolling out')
    .option('--trace', "follow the applied services' first tasks and print where the time went, from the apply to the container running")
    .option('--timeout <duration>', 'how long --wait and --trace wait', '5m')
    .action(async (opts: ApplyOptions, cmd: Command) => (await impl()).runApply(await ctxOf(cmd, io, deps), opts));
}
