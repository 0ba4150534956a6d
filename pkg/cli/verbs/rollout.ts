/** `stowctl rollout status|undo|restart`: its flags and help (loaded at start); what it does is in ../commands/rollout.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { Deps, Io } from '../context.js';
import { nonNegativeInt } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/rollout.js');

export function registerRollout(program: Command, io: Io, deps: Deps): void {
  const rollout = program.command('rollout').description("follow or undo a service's deployment");
  rollout
    .command('status')
    .description('wait until the deployment completes (exit 1 if it fails)')
    .argument('<service...>', 'service/NAME')
    .option('--timeout <duration>', 'give up after this long', '5m')
    .action(async (args: string[], opts: { timeout: string }, cmd: Command) => (await impl()).runRolloutStatus(await ctxOf(cmd, io, deps), args, opts.timeout));
  rollout
    .command('undo')
    .description('roll back to the previous revision, or to --to-revision')
    .argument('<service...>', 'service/NAME')
    .option('--to-revision <n>', 'the revision to go back to (default: the previous one)', nonNegativeInt('--to-revision'))
    .action(async (args: string[], opts: { toRevision?: number }, cmd: Command) => (await impl()).runRolloutUndo(await ctxOf(cmd, io, deps), args, opts.toRevision));
  rollout
    .command('restart')
    .description('replace every task of a service with a new one, as a rolling upgrade of the same template does')
    .argument('<service...>', 'service/NAME')
    .action(async (args: string[], _opts: unknown, cmd: Command) => (await impl()).runRolloutRestart(await ctxOf(cmd, io, deps), args));
}
