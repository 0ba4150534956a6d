/**
 * Asking for a task to stop, the one way every loop does it: an unbound
 * task is simply deleted; a bound one gets spec.desiredState Killed and its
 * assignment withdrawn in one transaction, so its agent stops the container
 * with grace and reports Killed.
 */
import { lookupKind } from '../api/kinds.js';
import type { Task } from '../api/types.js';
import { assignmentKey, nsSegment } from '../store/keys.js';
import { Store, type Stored } from '../store/store.js';
import type { Txn } from '../store/txn.js';

const TASK = lookupKind('Task')!;

/** Add the kill of `s` to txn (1 or 2 operations). */
export function addKill(txn: Txn, s: Stored<Task>): void {
  const t = s.object;
  const node = t.status?.nodeName;
  if (!node) {
    Store.addRemove(txn, TASK, s);
    return;
  }
  const killed: Task = { ...t, spec: { ...t.spec, desiredState: 'Killed' } };
  delete killed.status;
  Store.carryMeta(TASK, killed, s);
  Store.addUpdate(txn, TASK, killed, s.specRev);
  txn.del(assignmentKey(node, nsSegment(TASK, t.metadata.namespace), t.metadata.name));
}
