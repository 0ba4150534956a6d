/**
 * A batch of task status writes, each a CAS on the task's status key, in
 * one transaction: what the agent's StatusWriter sends, directly to etcd or
 * through a server (`POST /api/v1/agent/statuses`). Per item, the answer:
 *
 *   written   {revision}          the transaction went through
 *   conflict  {revision, status}  the status moved: rebase on it (status absent: none stored)
 *   gone                          the task was deleted, or re-created with another uid
 *   retry                         unchanged: another item of the batch made the transaction fail
 *
 * All or nothing, as one transaction is: when one item conflicts, none is
 * written, and the others answer `retry`.
 */
import { lookupKind } from '../api/kinds.js';
import type { TaskStatus } from '../api/types.js';
import { specKey, statusKey } from './keys.js';
import { Store } from './store.js';

const TASK = lookupKind('Task')!;

export interface StatusWrite {
  uid: string;
  namespace: string;
  name: string;
  status: TaskStatus;
  /** The status key's mod revision the write is based on ("0": none). */
  revision: string;
}

export type StatusWriteResult =
  | { result: 'written'; revision: string }
  | { result: 'conflict'; revision: string; status?: TaskStatus }
  | { result: 'gone' }
  | { result: 'retry' };

/** The most writes in one batch: two compares each, and etcd takes at most 128 operations. */
export const MAX_STATUS_BATCH = 60;

/**
 * Write the batch in one transaction, which it may share with other batches
 * asked for in the same turn of the event loop (a server answering many
 * nodes' reports at once: group-commit.ts; a batch stays all or nothing).
 * Throws Unavailable (retry later) or Refused (never retry).
 */
export async function writeTaskStatuses(store: Store, items: readonly StatusWrite[]): Promise<StatusWriteResult[]> {
  const r = await store.group.commit(undefined, (txn) => {
    for (const w of items) Store.addPutStatus(txn, TASK, w.namespace, w.name, w.status, w.revision);
  });
  if (r.succeeded) return items.map(() => ({ result: 'written', revision: r.revision }));
  return items.map((w): StatusWriteResult => {
    const spec = r.current.get(specKey(TASK, w.namespace, w.name));
    const st = r.current.get(statusKey(TASK, w.namespace, w.name));
    const uid = spec ? (JSON.parse(spec.value.toString()) as { metadata?: { uid?: string } }).metadata?.uid : undefined;
    if (!spec || uid !== w.uid) return { result: 'gone' };
    const revision = st ? String(st.mod_revision) : '0';
    if (revision === w.revision) return { result: 'retry' };
    return st ? { result: 'conflict', revision, status: JSON.parse(st.value.toString()) as TaskStatus } : { result: 'conflict', revision };
  });
}
