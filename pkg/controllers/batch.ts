/**
 * Many independent writes of a loop, fenced and within etcd's budget:
 *
 *   items ──► splitTxns (each txn: the fence + as many items as fit) ──► commit, a few at once
 *                                                                          │
 *            onCommitted(items, revision) ◄── succeeded ──────────────────┤
 *            conflicted items             ◄── a compare failed ───────────┤
 *            the first error, thrown once every transaction has returned ◄┘
 *
 * perTxn adds one more write to each transaction, about the items in it
 * (room for it is kept while packing), atomic with them.
 *
 * Each item is atomic on its own; items in different transactions are not
 * atomic together. What committed is reported before anything is thrown,
 * so a loop that remembers its writes never forgets one. After a lost fence
 * (Fenced) or a refusal (Refused) no further transaction is sent.
 */
import { isApiError } from '../api/errors.js';
import type { Store } from '../store/store.js';
import { splitTxns, type Fence, type Txn } from '../store/txn.js';
import { forEachLimit } from '../util/limiter.js';

/** Transactions of one batch in flight at once. */
const CONCURRENCY = 8;

export interface BatchResult<T> {
  committed: T[];
  conflicted: T[];
}

/** A write of its own in each transaction, told of the items it carries (e.g. the event counting them). */
export interface PerTxn<T> {
  /** Compares and writes it needs (kept free while packing). */
  reserve: number;
  finish: (txn: Txn, items: T[]) => void;
}

export async function commitEach<T>(
  store: Store,
  fence: () => Fence,
  items: readonly T[],
  add: (txn: Txn, item: T) => void,
  onCommitted?: (items: T[], revision: string) => void,
  perTxn?: PerTxn<T>,
): Promise<BatchResult<T>> {
  const out: BatchResult<T> = { committed: [], conflicted: [] };
  if (items.length === 0) return out;
  const txns = splitTxns(items, () => store.txn(fence()).reserve(perTxn?.reserve ?? 0), add);
  if (perTxn) {
    for (const { txn, items: mine } of txns) perTxn.finish(txn.reserve(0), mine);
  }
  let error: unknown;
  await forEachLimit(txns, CONCURRENCY, async ({ txn, items: mine }) => {
    try {
      const r = await txn.commit();
      if (!r.succeeded) {
        out.conflicted.push(...mine);
        return;
      }
      out.committed.push(...mine);
      onCommitted?.(mine, r.revision);
    } catch (e) {
      error ??= e;
      // no further transaction after a lost fence or a refusal; others go on after a failed one
      if (isApiError(e, 'Fenced') || isApiError(e, 'Refused')) throw e;
    }
  }).catch(() => undefined);
  if (error !== undefined) throw error;
  return out;
}
