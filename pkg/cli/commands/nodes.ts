/**
 * `stowctl cordon|uncordon|drain NODE`. Cordon sets spec.unschedulable
 * (a compare-and-swap); drain cordons, then deletes the node's live tasks
 * that a service owns so the services loop recreates them elsewhere. Tasks
 * of job runs and bare tasks are left to finish.
 */
import { isApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import { TERMINAL_STATES, type Node, type Task } from '../../api/types.js';
import { type Ctx } from '../context.js';
import { refOf, singleTarget } from '../kinds.js';
import { listObjects, updateWithRetry } from '../objects.js';
import { taskOwner } from '../printers/columns.js';
import { objectPath } from '../kinds.js';

const TASK = lookupKind('Task')!;

/** `cordon n1` as well as `cordon node n1` / `cordon node/n1`. */
function nodeArgs(args: string[]): string[] {
  return args.length === 1 && !args[0]!.includes('/') ? ['node', args[0]!] : args;
}

export async function setCordon(ctx: Ctx, args: string[], cordon: boolean): Promise<string> {
  const t = singleTarget(nodeArgs(args), 'node');
  const { changed } = await updateWithRetry<Node>(ctx.client, t.kind, undefined, t.name, (n) => {
    if (!!n.spec.unschedulable === cordon) return undefined;
    n.spec.unschedulable = cordon;
    return n;
  });
  const ref = refOf(t.kind, t.name);
  const verb = cordon ? 'cordoned' : 'uncordoned';
  ctx.out(changed ? `${ref} ${verb}\n` : `${ref} already ${verb}\n`);
  return t.name;
}

/** The tasks on a node drain acts on, and the ones it leaves. */
export function drainPlan(tasks: Task[], node: string): { evict: Task[]; keep: Task[] } {
  const live = tasks.filter((t) => t.status?.nodeName === node && !TERMINAL_STATES.has(t.status?.state ?? 'Pending'));
  const bySvc = (t: Task) => (taskOwner(t) ?? '').startsWith('service/');
  return { evict: live.filter(bySvc), keep: live.filter((t) => !bySvc(t)) };
}

export async function runDrain(ctx: Ctx, args: string[]): Promise<void> {
  const node = await setCordon(ctx, args, true);
  const tasks = (await listObjects<Task>(ctx.client, TASK, {})).items;
  const { evict, keep } = drainPlan(tasks, node);
  for (const t of keep) {
    const owner = taskOwner(t);
    ctx.out(`task/${t.metadata.name} (namespace ${t.metadata.namespace}) left to finish: ${owner ? `owned by ${owner}` : 'no owner'}\n`);
  }
  let deleted = 0;
  for (const t of evict) {
    try {
      await ctx.client.delete(objectPath(TASK, t.metadata.namespace, t.metadata.name));
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
      continue; // gone already
    }
    deleted++;
    ctx.out(`task/${t.metadata.name} (namespace ${t.metadata.namespace}) deleted; ${taskOwner(t)} will replace it\n`);
  }
  ctx.out(`node/${node} drained: ${deleted} task${deleted === 1 ? '' : 's'} deleted, ${keep.length} left to finish\n`);
}
