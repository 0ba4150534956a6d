/** `stowctl rollout status|undo|restart service/NAME` */
import type { Command } from 'commander';
import type { Service } from '../../api/types.js';
import { makeCtx, type Ctx, type Deps, type Io } from '../context.js';
import { parseDuration } from '../duration.js';
import { nonNegativeInt } from '../flags.js';
import { objectPath, refOf, singleTarget } from '../kinds.js';
import { waitForServices } from '../rollout/wait.js';
import { revisionOfSpec } from '../../api/template.js';

export function registerRollout(program: Command, io: Io, deps: Deps): void {
  const rollout = program.command('rollout').description("follow or undo a service's deployment");
  rollout
    .command('status')
    .description('wait until the deployment completes (exit 1 if it fails)')
    .argument('<service...>', 'service/NAME')
    .option('--timeout <duration>', 'give up after this long', '5m')
    .action(async (args: string[], opts: { timeout: string }, cmd: Command) => runRolloutStatus(makeCtx(cmd, io, deps), args, opts.timeout));
  rollout
    .command('undo')
    .description('roll back to the previous revision, or to --to-revision')
    .argument('<service...>', 'service/NAME')
    .option('--to-revision <n>', 'the revision to go back to (default: the previous one)', nonNegativeInt('--to-revision'))
    .action(async (args: string[], opts: { toRevision?: number }, cmd: Command) => runRolloutUndo(makeCtx(cmd, io, deps), args, opts.toRevision));
  rollout
    .command('restart')
    .description('replace every task of a service with a new one, as a rolling upgrade of the same template does')
    .argument('<service...>', 'service/NAME')
    .action(async (args: string[], _opts: unknown, cmd: Command) => runRolloutRestart(makeCtx(cmd, io, deps), args));
}

export async function runRolloutStatus(ctx: Ctx, args: string[], timeout: string): Promise<void> {
  const timeoutMs = parseDuration(timeout);
  const t = singleTarget(args, 'service');
  await waitForServices(ctx, [{ namespace: ctx.g.namespace, name: t.name }], timeoutMs);
  ctx.out(`${refOf(t.kind, t.name)} successfully rolled out\n`);
}

export async function runRolloutUndo(ctx: Ctx, args: string[], revision: number | undefined): Promise<void> {
  const t = singleTarget(args, 'service');
  const body = revision === undefined ? {} : { revision };
  const answer = await ctx.client.post<Partial<Service>>(`${objectPath(t.kind, ctx.g.namespace, t.name)}/rollback`, body);
  // The answer is the updated Service: its spec now holds the template of the revision gone back to.
  const rev = (answer?.spec ? revisionOfSpec(answer.spec, answer.status?.revisions)?.revision : undefined) ?? revision;
  ctx.out(`${refOf(t.kind, t.name)} rolled back${rev !== undefined ? ` to revision ${rev}` : ''}\n`);
}

export async function runRolloutRestart(ctx: Ctx, args: string[]): Promise<void> {
  const t = singleTarget(args, 'service');
  await ctx.client.post<Partial<Service>>(`${objectPath(t.kind, ctx.g.namespace, t.name)}/restart`, {});
  ctx.out(`${refOf(t.kind, t.name)} restarted (follow it with: stowctl rollout status ${refOf(t.kind, t.name)})\n`);
}
