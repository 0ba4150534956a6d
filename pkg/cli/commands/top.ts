/**
 * `stowctl top nodes` and `stowctl top tasks [-l selector] [-n ns | -A]`:
 * what nodes and running tasks use, as agents last reported it on the Nodes
 * (status.usage; sampled every --usage-interval, written on a meaningful change).
 */
import { lookupKind } from '../../api/kinds.js';
import type { Node, Task } from '../../api/types.js';
import { listNamespace, type Ctx } from '../context.js';
import { listObjects } from '../objects.js';
import { topNodesTable, topTasksTable } from '../printers/top.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;

export async function runTopNodes(ctx: Ctx): Promise<void> {
  const nodes = await listObjects<Node>(ctx.client, NODE);
  ctx.out(topNodesTable(nodes.items, ctx.now()));
}

export async function runTopTasks(ctx: Ctx, selector: string | undefined): Promise<void> {
  const ns = listNamespace(ctx);
  const [tasks, nodes] = await Promise.all([
    listObjects<Task>(ctx.client, TASK, { ...(ns ? { namespace: ns } : {}), ...(selector ? { labelSelector: selector } : {}) }),
    listObjects<Node>(ctx.client, NODE),
  ]);
  ctx.out(topTasksTable(tasks.items, nodes.items, { allNamespaces: ctx.g.allNamespaces }));
}
