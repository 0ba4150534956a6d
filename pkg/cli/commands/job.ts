/**
 * `stowctl job run NAME`: start a Job now, whatever its schedule.
 * Calls `POST /api/v1/jobs/<ns>/<name>/run`, which docs/api.md does not
 * have yet (asked for); the answer is taken to be the JobRun created.
 */
import type { Command } from 'commander';
import type { JobRun } from '../../api/types.js';
import { makeCtx, type Ctx, type Deps, type Io } from '../context.js';
import { objectPath, refOf, singleTarget } from '../kinds.js';
import { getObject } from '../objects.js';

export function registerJob(program: Command, io: Io, deps: Deps): void {
  const job = program.command('job').description('act on jobs');
  job
    .command('run')
    .description('start a run of a job now')
    .argument('<job...>', 'job NAME or job/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => runJobNow(makeCtx(cmd, io, deps), args));
}

export async function runJobNow(ctx: Ctx, args: string[]): Promise<void> {
  const t = singleTarget(args.length === 1 && !args[0]!.includes('/') ? ['job', args[0]!] : args, 'job');
  // A clear "not found" before asking for the run.
  await getObject(ctx.client, t.kind, ctx.g.namespace, t.name);
  const run = await ctx.client.post<Partial<JobRun> | undefined>(`${objectPath(t.kind, ctx.g.namespace, t.name)}/run`, {});
  const name = run?.metadata?.name;
  ctx.out(name ? `jobrun/${name} created\n` : `${refOf(t.kind, t.name)} started\n`);
}
