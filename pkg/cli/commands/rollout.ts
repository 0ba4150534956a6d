/** `stowctl rollout status|undo|restart service/NAME` */
import type { Service } from '../../api/types.js';
import { type Ctx } from '../context.js';
import { parseDuration } from '../duration.js';
import { objectPath, refOf, singleTarget } from '../kinds.js';
import { waitForServices } from '../rollout/wait.js';
import { revisionOfSpec } from '../../api/template.js';

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
