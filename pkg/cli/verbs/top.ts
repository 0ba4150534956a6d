/** `stowctl top nodes|tasks`: its flags and help (loaded at start); what it does is in ../commands/top.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { Deps, Io } from '../context.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/top.js');

export function registerTop(program: Command, io: Io, deps: Deps): void {
  const top = program.command('top').description('show the cpu and memory that nodes and tasks use');
  top
    .command('nodes')
    .alias('node')
    .description('usage of each node beside what is allocated and its capacity')
    .action(async (_o: object, cmd: Command) => (await impl()).runTopNodes(await ctxOf(cmd, io, deps)));
  top
    .command('tasks')
    .alias('task')
    .description('usage of each running task')
    .option('-l, --selector <selector>', 'label selector, e.g. stowage/owner=service/hello')
    .action(async (o: { selector?: string }, cmd: Command) => (await impl()).runTopTasks(await ctxOf(cmd, io, deps), o.selector));
}
