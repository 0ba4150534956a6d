/** `stowctl scale`: its flags and help (loaded at start); what it does is in ../commands/scale.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { Deps, Io } from '../context.js';
import { nonNegativeInt } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/scale.js');

export function registerScale(program: Command, io: Io, deps: Deps): void {
  program
    .command('scale')
    .description('set the number of instances of a service')
    .argument('<service...>', 'service/NAME (or: service NAME)')
    .requiredOption('--instances <n>', 'the number of instances wanted (>= 0)', nonNegativeInt('--instances'))
    .action(async (args: string[], opts: { instances: number }, cmd: Command) => (await impl()).runScale(await ctxOf(cmd, io, deps), args, opts.instances));
}
