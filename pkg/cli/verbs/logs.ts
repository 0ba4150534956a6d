/** `stowctl logs`: its flags and help (loaded at start); what it does is in ../commands/logs.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { LogsOptions } from '../commands/logs.js';
import type { Deps, Io } from '../context.js';
import { nonNegativeInt } from '../flags.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/logs.js');

export function registerLogs(program: Command, io: Io, deps: Deps): void {
  program
    .command('logs')
    .description("print a task's output (stdout and stderr); of a job run, its newest task's")
    .argument('<task>', 'task or jobrun name, task/NAME or jobrun/NAME')
    .option('-f, --follow', 'keep streaming new output')
    .option('--tail <lines>', 'only the last N lines', nonNegativeInt('--tail'))
    .action(async (task: string, opts: LogsOptions, cmd: Command) => (await impl()).runLogs(await ctxOf(cmd, io, deps), task, opts));
}
