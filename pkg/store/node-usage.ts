/**
 * Write a node's usage into its Node status (CAS on the status revision,
 * which the binder shares), when it changed meaningfully
 * (pkg/api/node-usage.ts). Used by the agent directly and by a server for
 * agents on its API (`PUT /api/v1/agent/nodes/<node>/usage`).
 */
import { isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import { changedMeaningfully } from '../api/node-usage.js';
import type { Node, NodeUsage } from '../api/types.js';
import type { Store } from './store.js';

const NODE = lookupKind('Node')!;

export type UsageWriteResult = 'written' | 'unchanged' | 'unregistered';

/** Throws Conflict after three lost races (the next sample tries again). */
export async function writeNodeUsage(store: Pick<Store, 'getGrouped' | 'putStatusGrouped'>, node: string, usage: NodeUsage): Promise<UsageWriteResult> {
  for (let attempt = 1; ; attempt++) {
    // (read and written with the other nodes' reports of the same moment: a thousand nodes starting report at once)
    const cur = await store.getGrouped<Node>(NODE, undefined, node);
    if (!cur?.object.status) return 'unregistered'; // not registered yet: the next round writes
    if (!changedMeaningfully(cur.object.status.usage, usage)) return 'unchanged';
    try {
      await store.putStatusGrouped(NODE, undefined, node, { ...cur.object.status, usage }, cur.statusRev);
      return 'written';
    } catch (e) {
      if (!isApiError(e, 'Conflict') || attempt >= 3) throw e;
    }
  }
}
