/**
 * Asking for a task to stop, the one way every loop does it: an unbound
 * task is simply deleted; a bound one gets spec.desiredState Killed, so its
 * agent stops the container with grace and reports Killed.
 *
 *   no drain (other loops: job deadlines, node loss, ...)
 *       spec {desiredState: Killed} + assignment deleted          one transaction
 *   drain (the services loop: scale down, rollout, replacement)
 *       spec {desiredState: Killed, drainSeconds} + assignment    one transaction, compared on the
 *       rewritten with that spec                                   task's status revision too (a
 *                                                                   node-loss withdrawal writes Lost:
 *                                                                   it is never undone)
 *
 * desiredState Killed takes the task out of its service's endpoints at once;
 * a draining task's agent sees the kill through its assignment, waits
 * drainSeconds with the container still running (open connections finish,
 * proxies stop sending new ones), then stops it with its grace period. The
 * assignment goes when the ended task is deleted (Store.addRemove).
 */
import { lookupKind } from '../api/kinds.js';
import type { Task } from '../api/types.js';
import { assignmentKey, nsSegment, statusKey } from '../store/keys.js';
import { Store, type Stored } from '../store/store.js';
import type { Txn } from '../store/txn.js';

const TASK = lookupKind('Task')!;

export interface KillOptions {
  /** Seconds the task stays out of endpoints, still running, before its container is stopped (0: none). */
  drainSeconds?: number;
}

/** Add the kill of `s` to txn (1 to 3 operations). */
export function addKill(txn: Txn, s: Stored<Task>, o: KillOptions = {}): void {
  const t = s.object;
  const node = t.status?.nodeName;
  if (!node) {
    Store.addRemove(txn, TASK, s);
    return;
  }
  const drain = o.drainSeconds ?? 0;
  const killed: Task = { ...t, spec: { ...t.spec, desiredState: 'Killed', ...(drain > 0 ? { drainSeconds: drain } : {}) } };
  delete killed.status;
  Store.carryMeta(TASK, killed, s);
  Store.addUpdate(txn, TASK, killed, s.specRev);
  const ak = assignmentKey(node, nsSegment(TASK, t.metadata.namespace), t.metadata.name);
  // (the status compare: a node-loss withdrawal, which writes Lost, is never undone by this put)
  if (drain > 0) txn.ifModRev(statusKey(TASK, t.metadata.namespace, t.metadata.name), s.statusRev).put(ak, JSON.stringify(killed));
  else txn.del(ak);
}
