/**
 * Creates that arrive while earlier ones are on their way to etcd share one
 * transaction: no timer, no added wait for a lone request, and under load
 * one etcd round trip (and one gRPC call's CPU) carries many objects.
 *
 *   create ──► fewer than MAX_IN_FLIGHT transactions out? ──yes──► commit now
 *                  └─no─► queue ──► the next transaction to return sends the queue
 *
 * Each object keeps its own create-if-absent compare. When a shared
 * transaction fails, the objects that exist answer AlreadyExists and the
 * rest go again, so every request gets the answer it would have got alone.
 */
import { ApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import { specKey, statusKey } from '../store/keys.js';
import { encodeSpec, Store, type Stored } from '../store/store.js';
import type { Txn } from '../store/txn.js';

/** Transactions out at once; more requests wait and go together. */
const MAX_IN_FLIGHT = 2;
/** Bytes of values per shared transaction (etcd refuses requests over 1.5 MiB). */
const MAX_BATCH_BYTES = 1024 * 1024;

interface Pending {
  kind: KindInfo;
  obj: AnyResource;
  key: string;
  /** The stored spec and status, encoded once. */
  spec: string;
  status: string | undefined;
  bytes: number;
  resolve: (s: Stored) => void;
  reject: (e: unknown) => void;
}

export class CreateBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(private readonly store: Store) {}

  create<T extends AnyResource>(kind: KindInfo, obj: T): Promise<Stored<T>> {
    return new Promise((resolve, reject) => {
      Store.initMeta(kind, obj);
      const spec = encodeSpec(obj);
      const status = obj.status === undefined ? undefined : JSON.stringify(obj.status);
      const key = specKey(kind, obj.metadata.namespace, obj.metadata.name);
      const bytes = Buffer.byteLength(spec) + (status === undefined ? 0 : Buffer.byteLength(status));
      this.queue.push({ kind, obj, key, spec, status, bytes, resolve: resolve as (s: Stored) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch: Pending[] = [];
      const keys = new Set<string>();
      let ops = 0;
      let bytes = 0;
      while (this.queue.length > 0) {
        const p = this.queue[0]!;
        const n = p.status === undefined ? 1 : 2;
        if (batch.length > 0 && (ops + n > this.store.maxTxnOps || bytes + p.bytes > MAX_BATCH_BYTES)) break;
        // the same name twice in one transaction: both compares would pass and the second put win
        if (keys.has(p.key)) break;
        keys.add(p.key);
        batch.push(this.queue.shift()!);
        ops += n;
        bytes += p.bytes;
      }
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const txn: Txn = this.store.txn();
    for (const p of batch) {
      txn.ifAbsent(p.key).put(p.key, p.spec);
      if (p.status !== undefined) txn.put(statusKey(p.kind, p.obj.metadata.namespace, p.obj.metadata.name), p.status);
    }
    let r;
    try {
      r = await txn.commit();
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    if (r.succeeded) {
      for (const p of batch) {
        p.obj.metadata.resourceVersion = r.revision;
        p.resolve({ object: p.obj, specRev: r.revision, statusRev: p.obj.status !== undefined ? r.revision : '0' });
      }
      return;
    }
    // Some exist already: they get their 409, the others go again (ahead of newer requests).
    const again: Pending[] = [];
    for (const p of batch) {
      const m = p.obj.metadata;
      if (r.current.has(p.key)) {
        p.reject(new ApiError('AlreadyExists', `${p.kind.singular} "${m.name}" already exists${p.kind.namespaced ? ` in namespace "${m.namespace}"` : ''}`));
      } else again.push(p);
    }
    this.queue.unshift(...again);
  }
}
