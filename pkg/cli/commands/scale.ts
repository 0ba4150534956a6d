/** `stowctl scale service/NAME --instances N`: a compare-and-swap on the service's spec. */
import type { Service } from '../../api/types.js';
import { type Ctx } from '../context.js';
import { CliError } from '../errors.js';
import { refOf, singleTarget } from '../kinds.js';
import { updateWithRetry } from '../objects.js';

export async function runScale(ctx: Ctx, args: string[], instances: number): Promise<void> {
  const t = singleTarget(args, 'service');
  if (!Number.isInteger(instances) || instances < 0) throw new CliError(`--instances must be >= 0, got ${instances}`);
  const { before, changed } = await updateWithRetry<Service>(ctx.client, t.kind, ctx.g.namespace, t.name, (svc) => {
    if (svc.spec.instances === instances) return undefined;
    svc.spec.instances = instances;
    return svc;
  });
  const ref = refOf(t.kind, t.name);
  ctx.out(changed ? `${ref} scaled from ${before.spec.instances} to ${instances}\n` : `${ref} already has ${instances} instances\n`);
}
