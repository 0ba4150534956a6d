/** `stowctl job run|suspend|resume|backfill|mark-success`: its flags and help (loaded at start); what it does is in ../commands/job.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { RunOptions } from '../commands/job.js';
import type { Deps, Io } from '../context.js';
import { instantFlag, envPair, runId } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/job.js');

export function registerJob(program: Command, io: Io, deps: Deps): void {
  const job = program.command('job').description('run, suspend, resume or backfill a job; mark a failed run succeeded');
  job
    .command('run')
    .description('start a run of a job now, or the run of one of its slots (--slot)')
    .argument('<job...>', 'job NAME or job/NAME')
    .option('--env <NAME=value>', 'extra environment for this run only (repeatable)', envPair)
    .option('--id <id>', 'the same id again finds the run it started instead of starting another (1 to 253 characters)', runId)
    .option('--slot <time>', 'run this slot of the schedule (one that was missed or skipped): ISO 8601 with a zone, or unix seconds', instantFlag('--slot'))
    .action(async (args: string[], o: RunOptions, cmd: Command) => (await impl()).runJobNow(await ctxOf(cmd, io, deps), args, o));
  job
    .command('suspend')
    .description('start no new runs of a job (runs already started go on)')
    .argument('<job...>', 'job NAME or job/NAME')
    .option('--note <text>', 'why (shown by describe)')
    .action(async (args: string[], o: { note?: string }, cmd: Command) => (await impl()).runSuspend(await ctxOf(cmd, io, deps), args, o.note));
  job
    .command('resume')
    .description('run a suspended job on its schedule again')
    .argument('<job...>', 'job NAME or job/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => (await impl()).runResume(await ctxOf(cmd, io, deps), args));
  job
    .command('backfill')
    .description('run every slot of a job between two instants that has not run (at most 1000)')
    .argument('<job...>', 'job NAME or job/NAME')
    .requiredOption('--from <time>', 'the oldest instant of the range: ISO 8601 with a zone, or unix seconds', instantFlag('--from'))
    .requiredOption('--to <time>', 'the newest instant of the range (included)', instantFlag('--to'))
    .action(async (args: string[], o: { from: Date; to: Date }, cmd: Command) => (await impl()).runBackfill(await ctxOf(cmd, io, deps), args, o.from, o.to));
  job
    .command('mark-success')
    .description("count a failed run as succeeded, so the job's children go on")
    .argument('<run...>', 'jobrun NAME or jobrun/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => (await impl()).runMarkSuccess(await ctxOf(cmd, io, deps), args));
}
