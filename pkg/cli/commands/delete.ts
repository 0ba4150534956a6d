/** `stowctl delete (-f FILE|DIR | KIND NAME... | KIND/NAME...) [--ignore-not-found]` */
import { isApiError } from '../../api/errors.js';
import type { KindInfo } from '../../api/kinds.js';
import { type Ctx } from '../context.js';
import { CliError, ExitError } from '../errors.js';
import { notFoundMessage, objectPath, parseTargets, refOf } from '../kinds.js';
import { defaultNamespaces, identify, readManifests } from '../manifests.js';

export interface DeleteOptions {
  filename: string[];
  recursive?: boolean;
  ignoreNotFound?: boolean;
}

interface Victim {
  kind: KindInfo;
  namespace?: string;
  name: string;
}

export async function runDelete(ctx: Ctx, args: string[], opts: DeleteOptions): Promise<void> {
  let victims: Victim[];
  if (opts.filename.length > 0) {
    if (args.length > 0) throw new CliError('give either -f or KIND NAME, not both');
    const ms = await readManifests(opts.filename, { recursive: opts.recursive, stdin: ctx.io.stdin });
    defaultNamespaces(ms, ctx.g.namespace, ctx.g.namespaceExplicit);
    victims = ms.map(identify);
  } else {
    const { kind, targets } = parseTargets(args);
    if (!kind) throw new CliError('delete needs KIND NAME, KIND/NAME or -f FILE');
    if (targets.length === 0) throw new CliError(`delete needs the name of the ${kind.singular} to delete`);
    victims = targets.map((t) => ({ kind: t.kind, namespace: t.kind.namespaced ? ctx.g.namespace : undefined, name: t.name }));
  }
  let failed = 0;
  for (const v of victims) {
    try {
      await ctx.client.delete(objectPath(v.kind, v.namespace, v.name));
      ctx.out(ctx.g.output === 'name' ? `${refOf(v.kind, v.name)}\n` : `${refOf(v.kind, v.name)} deleted\n`);
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
      if (opts.ignoreNotFound) continue;
      ctx.err(`error: ${notFoundMessage(v.kind, v.name, v.namespace)}\n`);
      failed++;
    }
  }
  if (failed) throw new ExitError(1);
}
