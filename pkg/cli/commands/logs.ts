/** `stowctl logs TASK [-f] [--tail N]`: the task's output, streamed through the server from its agent. */
import type { Command } from 'commander';
import { lookupKind } from '../../api/kinds.js';
import { makeCtx, type Ctx, type Deps, type Io } from '../context.js';
import { CliError } from '../errors.js';
import { objectPath, parseSlashed } from '../kinds.js';
import { nonNegativeInt } from '../flags.js';

const TASK = lookupKind('Task')!;

interface LogsOptions {
  follow?: boolean;
  tail?: number;
}

export function registerLogs(program: Command, io: Io, deps: Deps): void {
  program
    .command('logs')
    .description("print a task's output (stdout and stderr)")
    .argument('<task>', 'task name, or task/NAME')
    .option('-f, --follow', 'keep streaming new output')
    .option('--tail <lines>', 'only the last N lines', nonNegativeInt('--tail'))
    .action(async (task: string, opts: LogsOptions, cmd: Command) => runLogs(makeCtx(cmd, io, deps), task, opts));
}

export async function runLogs(ctx: Ctx, arg: string, opts: LogsOptions): Promise<void> {
  let name = arg;
  if (arg.includes('/')) {
    const t = parseSlashed(arg);
    if (t.kind !== TASK) throw new CliError(`logs are kept per task: give a task name, not ${arg}`);
    name = t.name;
  }
  const ns = ctx.g.namespace;
  let res: Response;
  try {
    res = await ctx.client.open('GET', `${objectPath(TASK, ns, name)}/log`, {
      query: { follow: opts.follow ? 1 : undefined, tail: opts.tail },
      headers: { accept: 'text/plain' },
      signal: ctx.signal,
    });
  } catch (e) {
    if (ctx.signal.aborted) return;
    throw e;
  }
  if (!res.body) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) ctx.out(decoder.decode(chunk, { stream: true }));
  } catch (e) {
    if (ctx.signal.aborted) return;
    throw new CliError(`the log stream broke off: ${e instanceof Error ? e.message : String(e)}`);
  }
  ctx.out(decoder.decode());
}
