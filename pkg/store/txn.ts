/**
 * A guarded etcd transaction: compares, then puts and deletes, committed
 * in one round trip. Every write Stowage makes goes through one of these;
 * a leader-only writer adds its Fence so a deposed leader's late write fails.
 */
import type { Etcd3, IKeyValue, IRequestOp, ICompare, ITxnResponse } from 'etcd3';
import { unavailable } from './errors.js';

/** The leader's token: its election key must still exist with this create revision. */
export interface Fence {
  key: string;
  createRevision: string;
}

/** etcd refuses transactions with more operations than this (--max-txn-ops). */
export const MAX_TXN_OPS = 128;

export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (or at which it was evaluated). */
  revision: string;
  /** Values the failure branch read back, by key, to explain the conflict. */
  current: Map<string, IKeyValue>;
}

const buf = (s: string): Buffer => Buffer.from(s);

export class Txn {
  private readonly compares: ICompare[] = [];
  private readonly ops: IRequestOp[] = [];
  private readonly onFailure: IRequestOp[] = [];
  private fenced = false;

  constructor(private readonly client: Etcd3) {}

  get size(): number {
    return this.ops.length;
  }

  /** The key's mod revision equals rev ("0" = the key is absent). */
  ifModRev(key: string, rev: string): this {
    this.compares.push({ key: buf(key), target: 'Mod', result: 'Equal', mod_revision: rev });
    this.onFailure.push({ request_range: { key: buf(key) } });
    return this;
  }

  ifAbsent(key: string): this {
    this.compares.push({ key: buf(key), target: 'Create', result: 'Equal', create_revision: '0' });
    this.onFailure.push({ request_range: { key: buf(key) } });
    return this;
  }

  /** The key exists. */
  compareExists(key: string): this {
    this.compares.push({ key: buf(key), target: 'Create', result: 'Greater', create_revision: '0' });
    this.onFailure.push({ request_range: { key: buf(key) } });
    return this;
  }

  fence(f: Fence | undefined): this {
    if (!f || this.fenced) return this;
    this.fenced = true;
    this.compares.push({ key: buf(f.key), target: 'Create', result: 'Equal', create_revision: f.createRevision });
    this.onFailure.push({ request_range: { key: buf(f.key) } });
    return this;
  }

  put(key: string, value: string, lease?: string): this {
    this.ops.push({ request_put: { key: buf(key), value: buf(value), ...(lease ? { lease } : {}) } });
    return this;
  }

  del(key: string): this {
    this.ops.push({ request_delete_range: { key: buf(key) } });
    return this;
  }

  async commit(): Promise<TxnResult> {
    if (this.ops.length > MAX_TXN_OPS) {
      throw new RangeError(`a transaction takes at most ${MAX_TXN_OPS} operations; got ${this.ops.length}`);
    }
    let res: ITxnResponse;
    try {
      res = await this.client.kv.txn({ compare: this.compares, success: this.ops, failure: this.onFailure });
    } catch (e) {
      throw unavailable(e);
    }
    const current = new Map<string, IKeyValue>();
    if (!res.succeeded) {
      for (const r of res.responses) {
        for (const kv of r.response_range?.kvs ?? []) current.set(kv.key.toString(), kv);
      }
    }
    return { succeeded: res.succeeded, revision: String(res.header.revision), current };
  }

  /** True when the failure was caused by the fence, not by a data conflict. */
  static fenceLost(result: TxnResult, f: Fence | undefined): boolean {
    if (!f || result.succeeded) return false;
    const kv = result.current.get(f.key);
    return !kv || String(kv.create_revision) !== f.createRevision;
  }
}
