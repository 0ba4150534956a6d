/** `stowctl events`: its flags and help (loaded at start); what it does is in ../commands/events.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { EventsOptions } from '../commands/events.js';
import type { Deps, Io } from '../context.js';
import { ctxOf } from './ctx.js';

const impl = () => import('../commands/events.js');

export function registerEvents(program: Command, io: Io, deps: Deps): void {
  program
    .command('events')
    .description('list events by when they were last seen, oldest first')
    .option('-w, --watch', 'after listing, print each new or updated event')
    .option('--for <kind/name>', "only events about this object; a service's or job's include its tasks' (e.g. service/hello)")
    .action(async (opts: EventsOptions, cmd: Command) => (await impl()).runEvents(await ctxOf(cmd, io, deps), opts));
}
