/**
 * Group commit: independent writes asked for in the same turn of the event
 * loop go to etcd together, in as few transactions as fit the budget, so a
 * burst of small writes (a thousand jobs due in one second, each creating
 * its run) costs tens of round trips instead of a thousand.
 *
 *   commit(fence, add) ──► pending ──(setImmediate)──► pack per fence: each part added
 *                                                       whole, or in the next transaction
 *        ┌──────────────────────────────────────────────────┘
 *        ├─ succeeded ─────────► every part: {succeeded, revision}
 *        ├─ a compare failed ──► each part sent again alone: its own result
 *        │                       (with `current`, as if it had gone alone)
 *        └─ threw ─────────────► every part: that error (Fenced, Unavailable, ...)
 *
 * A part is atomic as before; parts merely share a round trip. A part that
 * writes a key another part of the transaction writes goes in the next one
 * (etcd refuses a key twice in one transaction), and a part too big for an
 * empty transaction is refused alone, without failing the others.
 */
import { ApiError } from '../api/errors.js';
import type { Store } from './store.js';
import type { Fence, Txn, TxnResult } from './txn.js';

interface Part {
  fence: Fence | undefined;
  add: (txn: Txn) => void;
  resolve: (r: TxnResult) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit {
  private pending: Part[] = [];
  private scheduled = false;
  /** Transactions sent and parts carried, for tests and metrics. */
  sent = 0;
  carried = 0;

  constructor(private readonly store: Store) {}

  /** Add the writes `add` makes to the next group; resolves with this part's own outcome. */
  commit(fence: Fence | undefined, add: (txn: Txn) => void): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ fence, add, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const parts = this.pending;
    this.pending = [];
    const byFence = new Map<string, Part[]>();
    for (const p of parts) {
      const k = p.fence ? `${p.fence.key}@${p.fence.createRevision}` : '';
      let g = byFence.get(k);
      if (!g) byFence.set(k, (g = []));
      g.push(p);
    }
    for (const g of byFence.values()) for (const t of this.pack(g)) void this.send(t.txn, t.parts);
  }

  /** Parts into transactions: each part whole, within the budget, no key written twice. */
  private pack(parts: Part[]): { txn: Txn; parts: Part[] }[] {
    const out: { txn: Txn; parts: Part[]; keys: Set<string> }[] = [];
    let cur: (typeof out)[number] | undefined;
    const open = (fence: Fence | undefined) => {
      cur = { txn: this.store.txn(fence), parts: [], keys: new Set() };
      out.push(cur);
      return cur;
    };
    for (const p of parts) {
      const c = cur ?? open(p.fence);
      if (this.tryAdd(c, p)) continue;
      if (c.parts.length === 0) {
        p.reject(tooBig(c.txn));
        continue;
      }
      const fresh = open(p.fence);
      if (!this.tryAdd(fresh, p)) {
        p.reject(tooBig(fresh.txn));
        out.pop();
        cur = undefined;
      }
    }
    return out.filter((t) => t.parts.length > 0);
  }

  private tryAdd(c: { txn: Txn; parts: Part[]; keys: Set<string> }, p: Part): boolean {
    const m = c.txn.mark();
    try {
      p.add(c.txn);
    } catch (e) {
      c.txn.reset(m);
      p.reject(e);
      return true; // handled: the part is out
    }
    const keys = c.txn.writeKeys(m);
    if (!c.txn.fits() || keys.some((k) => c.keys.has(k))) {
      c.txn.reset(m);
      return false;
    }
    for (const k of keys) c.keys.add(k);
    c.parts.push(p);
    return true;
  }

  private async send(txn: Txn, parts: Part[]): Promise<void> {
    this.sent++;
    this.carried += parts.length;
    let r: TxnResult;
    try {
      r = await txn.commit();
    } catch (e) {
      for (const p of parts) p.reject(e);
      return;
    }
    if (r.succeeded || parts.length === 1) {
      for (const p of parts) p.resolve(r);
      return;
    }
    // Some part's compare failed, and the result cannot say whose: each goes again alone.
    await Promise.all(
      parts.map(async (p) => {
        const alone = this.store.txn(p.fence);
        try {
          p.add(alone);
          this.sent++;
          this.carried++;
          p.resolve(await alone.commit());
        } catch (e) {
          p.reject(e);
        }
      }),
    );
  }
}

const tooBig = (t: Txn): ApiError =>
  new ApiError('Refused', `one write needs more than etcd's limit of ${t.limit} operations per transaction (${t.compareCount} compares, ${t.size} writes)`);
