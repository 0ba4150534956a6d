/**
 * A guarded etcd transaction: compares, then puts and deletes, committed
 * in one round trip. Every write Stowage makes goes through one of these;
 * a leader-only writer adds its Fence so a deposed leader's late write fails.
 *
 * The budget: etcd refuses a transaction whose compares, success operations
 * or failure operations exceed --max-txn-ops (128 by default). Each compare
 * here also reads its key back on failure (to explain a conflict), so a
 * transaction costs `compares` failure operations too. A Txn counts all
 * three, `fits()` says whether it is within its limit, and `commit()`
 * refuses to send one that is not: an oversize transaction is a bug in its
 * caller, never something to retry. `splitTxns` packs independent writes
 * into as many transactions as they need.
 *
 *   item ──► add to the current txn ──fits?──yes──► next item
 *                      │no
 *                      └─► take it back, start a new txn (fence again), add it there
 */
import type { Etcd3, IKeyValue, IRequestOp, ICompare, ITxnResponse } from 'etcd3';
import { ApiError } from '../api/errors.js';
import { etcdRefused } from '../metrics/metrics.js';
import { classifyEtcdError } from './errors.js';

/** The leader's token: its election key must still exist with this create revision. */
export interface Fence {
  key: string;
  createRevision: string;
}

/** etcd's default --max-txn-ops: the most compares, success or failure operations in one transaction. */
export const DEFAULT_MAX_TXN_OPS = 128;

export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (or at which it was evaluated). */
  revision: string;
  /** Values the failure branch read back, by key, to explain the conflict. */
  current: Map<string, IKeyValue>;
}

/** Where a transaction's three lists stood, to take back what was added after. */
export interface TxnMark {
  compares: number;
  ops: number;
}

const buf = (s: string): Buffer => Buffer.from(s);

export class Txn {
  private readonly compares: ICompare[] = [];
  private readonly ops: IRequestOp[] = [];
  private readonly onFailure: IRequestOp[] = [];
  private fenceToken: Fence | undefined;
  /** Operations of each kind kept free for what is added last (reserve). */
  private reserved = 0;

  constructor(
    private readonly client: Etcd3,
    /** etcd's --max-txn-ops. */
    readonly limit = DEFAULT_MAX_TXN_OPS,
  ) {}

  /** Success operations (puts and deletes). */
  get size(): number {
    return this.ops.length;
  }

  get compareCount(): number {
    return this.compares.length;
  }

  /** Nothing to write. */
  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** Within etcd's limit for compares, success and failure operations alike. */
  fits(): boolean {
    const room = this.limit - this.reserved;
    return this.compares.length <= room && this.ops.length <= room && this.onFailure.length <= room;
  }

  /**
   * Keep n compares and n writes free: fits() says no sooner, so a batch
   * packed by splitTxns leaves room for a last write of its own (reserve(0)
   * gives it back before that write is added).
   */
  reserve(n: number): this {
    this.reserved = n;
    return this;
  }

  mark(): TxnMark {
    return { compares: this.compares.length, ops: this.ops.length };
  }

  /** Take back everything added since `m`. */
  reset(m: TxnMark): void {
    this.compares.length = m.compares;
    this.onFailure.length = m.compares;
    this.ops.length = m.ops;
  }

  /** The keys put or deleted since `m` (etcd refuses a key written twice in one transaction). */
  writeKeys(m: TxnMark): string[] {
    return this.ops.slice(m.ops).map((o) => String(o.request_put?.key ?? o.request_delete_range?.key ?? ''));
  }

  /** The key's mod revision equals rev ("0" = the key is absent). */
  ifModRev(key: string, rev: string): this {
    return this.compare({ key: buf(key), target: 'Mod', result: 'Equal', mod_revision: rev });
  }

  ifAbsent(key: string): this {
    return this.compare({ key: buf(key), target: 'Create', result: 'Equal', create_revision: '0' });
  }

  /** The key exists. */
  compareExists(key: string): this {
    return this.compare({ key: buf(key), target: 'Create', result: 'Greater', create_revision: '0' });
  }

  /** Make the transaction conditional on the leader's election key (once; it must come first). */
  fence(f: Fence): this {
    if (this.fenceToken) {
      if (this.fenceToken.key !== f.key || this.fenceToken.createRevision !== f.createRevision) {
        throw new RangeError('a transaction can carry one fence only');
      }
      return this;
    }
    this.fenceToken = f;
    return this.compare({ key: buf(f.key), target: 'Create', result: 'Equal', create_revision: f.createRevision });
  }

  put(key: string, value: string, lease?: string): this {
    this.ops.push({ request_put: { key: buf(key), value: buf(value), ...(lease ? { lease } : {}) } });
    return this;
  }

  del(key: string): this {
    this.ops.push({ request_delete_range: { key: buf(key) } });
    return this;
  }

  private compare(c: ICompare): this {
    this.compares.push(c);
    this.onFailure.push({ request_range: { key: c.key } });
    return this;
  }

  /**
   * Send it. Throws ApiError Refused (without sending) when it is over the
   * budget or etcd refuses it for good, Unavailable when etcd cannot be
   * reached, and Fenced when it carried a fence that no longer holds.
   */
  async commit(): Promise<TxnResult> {
    if (!this.fits()) {
      etcdRefused.inc({ reason: 'over_budget' });
      throw new ApiError(
        'Refused',
        `transaction over etcd's limit of ${this.limit} operations (${this.compares.length} compares, ${this.ops.length} writes), not sent; first key ${this.firstKey()}`,
      );
    }
    let res: ITxnResponse;
    try {
      res = await this.client.kv.txn({ compare: this.compares, success: this.ops, failure: this.onFailure });
    } catch (e) {
      const err = classifyEtcdError(e, this.firstKey());
      if (err.code === 'Refused') etcdRefused.inc({ reason: 'etcd' });
      throw err;
    }
    const current = new Map<string, IKeyValue>();
    if (!res.succeeded) {
      for (const r of res.responses) {
        for (const kv of r.response_range?.kvs ?? []) current.set(kv.key.toString(), kv);
      }
    }
    const result = { succeeded: res.succeeded, revision: String(res.header.revision), current };
    if (Txn.fenceLost(result, this.fenceToken)) throw new ApiError('Fenced', 'this process is no longer the leader; write refused');
    return result;
  }

  /** The key the transaction is about, for messages: the first it compares or writes after the fence. */
  private firstKey(): string {
    const c = this.compares[this.fenceToken ? 1 : 0]?.key ?? this.ops[0]?.request_put?.key ?? this.ops[0]?.request_delete_range?.key;
    return c ? c.toString() : '(none)';
  }

  /** True when the failure was caused by the fence, not by a data conflict. */
  static fenceLost(result: TxnResult, f: Fence | undefined): boolean {
    if (!f || result.succeeded) return false;
    const kv = result.current.get(f.key);
    return !kv || String(kv.create_revision) !== f.createRevision;
  }
}

/**
 * Pack independent writes into transactions within the budget. `newTxn`
 * starts a transaction (with its fence: the fence counts too); `add` adds
 * one item's compares and writes. What must be atomic is one item. Throws
 * Refused when a single item does not fit in an empty transaction.
 */
export function splitTxns<T>(items: Iterable<T>, newTxn: () => Txn, add: (txn: Txn, item: T) => void): { txn: Txn; items: T[] }[] {
  const out: { txn: Txn; items: T[] }[] = [];
  let cur: { txn: Txn; items: T[] } | undefined;
  for (const item of items) {
    if (!cur) out.push((cur = { txn: newTxn(), items: [] }));
    const m = cur.txn.mark();
    add(cur.txn, item);
    if (cur.txn.fits()) {
      cur.items.push(item);
      continue;
    }
    if (cur.items.length === 0) throw tooBig(cur.txn);
    cur.txn.reset(m);
    out.push((cur = { txn: newTxn(), items: [] }));
    add(cur.txn, item);
    if (!cur.txn.fits()) throw tooBig(cur.txn);
    cur.items.push(item);
  }
  return out;
}

const tooBig = (t: Txn): ApiError =>
  new ApiError('Refused', `one write needs more than etcd's limit of ${t.limit} operations per transaction (${t.compareCount} compares, ${t.size} writes)`);
