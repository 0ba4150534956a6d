/**
 * Objects in etcd: one key for the object, one for its status, so a user's
 * apply and a loop's status write never conflict. Every update is a
 * compare-and-swap on the revision the writer read; `fence` makes the
 * write conditional on still being the leader.
 *
 *   get/list  ->  Stored { object (status merged), specRev, statusRev }
 *   create    ->  create-if-absent (409 AlreadyExists)
 *   update    ->  CAS on specRev  (409 Conflict naming both versions)
 *   putStatus ->  CAS on statusRev ("0" = no status yet)
 *   remove    ->  deletes object, status and (for tasks) the assignment,
 *                 (for services) the service port claims
 */
import { randomUUID } from 'node:crypto';
import type { Etcd3, IKeyValue } from 'etcd3';
import { ApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource, ServiceSpec } from '../api/types.js';
import { unavailable } from './errors.js';
import { assignmentKey, nsSegment, servicePortKey, specKey, specPrefix, statusKey, statusPrefix, parseTail } from './keys.js';
import { DEFAULT_MAX_TXN_OPS, Txn, type Fence, type TxnResult } from './txn.js';
import { GroupCommit } from './group-commit.js';
import { GroupRead } from './group-read.js';
import { servicePortsOf } from '../api/service-ports.js';
import { jsonEqual } from '../util/equal.js';
import { impliedStatus } from '../api/implied-status.js';

export interface Stored<T extends AnyResource = AnyResource> {
  object: T;
  specRev: string;
  /** "0" when the object has no status key yet. */
  statusRev: string;
}

export interface WriteOptions {
  fence?: Fence;
}

export interface ListResult<T extends AnyResource = AnyResource> {
  items: Stored<T>[];
  /** The store revision the list was read at: watch from revision + 1. */
  revision: string;
}

/** Decode a spec value and an optional status value into one object (no status key: its implied status). */
export function decode<T extends AnyResource>(
  spec: IKeyValue,
  status: IKeyValue | undefined,
): Stored<T> {
  const object = JSON.parse(spec.value.toString()) as T;
  object.metadata.resourceVersion = String(spec.mod_revision);
  const st = status ? JSON.parse(status.value.toString()) : impliedStatus(object.kind);
  if (st !== undefined) object.status = st;
  return { object, specRev: String(spec.mod_revision), statusRev: status ? String(status.mod_revision) : '0' };
}

/** The stored form of an object: everything but status and resourceVersion. */
export function encodeSpec(obj: AnyResource): string {
  const { status: _status, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return JSON.stringify({ ...rest, metadata: meta });
}

export const conflictError = (what: string, sent: string, current: IKeyValue | undefined): ApiError =>
  new ApiError(
    'Conflict',
    current
      ? `${what} has been modified: you sent resourceVersion ${sent}, the current one is ${current.mod_revision}; read it again and retry`
      : `${what} no longer exists (you sent resourceVersion ${sent})`,
    [{ field: 'metadata.resourceVersion', rule: 'compare-and-swap', message: `stale: ${sent}` }],
  );

export interface StoreOptions {
  /** etcd's --max-txn-ops: the most compares, success or failure operations per transaction. */
  maxTxnOps?: number;
}

export class Store {
  readonly maxTxnOps: number;
  private groupCommit: GroupCommit | undefined;
  private groupReader: GroupRead | undefined;

  constructor(
    readonly client: Etcd3,
    opts: StoreOptions = {},
  ) {
    this.maxTxnOps = opts.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
  }

  /** A transaction within etcd's budget; with a fence, conditional on leading. */
  txn(fence?: Fence): Txn {
    const t = new Txn(this.client, this.maxTxnOps);
    return fence ? t.fence(fence) : t;
  }

  async get<T extends AnyResource>(kind: KindInfo, namespace: string | undefined, name: string): Promise<Stored<T> | undefined> {
    const res = await this.run(() =>
      this.client.kv.txn({
        compare: [],
        success: [
          { request_range: { key: Buffer.from(specKey(kind, namespace, name)) } },
          { request_range: { key: Buffer.from(statusKey(kind, namespace, name)) } },
        ],
        failure: [],
      }),
    );
    const spec = res.responses[0]?.response_range?.kvs[0];
    if (!spec) return undefined;
    return decode<T>(spec, res.responses[1]?.response_range?.kvs[0]);
  }

  /**
   * The same read, sharing a round trip with the other reads asked for in
   * this turn of the event loop (group-read.ts). For hot paths.
   */
  async getGrouped<T extends AnyResource>(kind: KindInfo, namespace: string | undefined, name: string): Promise<Stored<T> | undefined> {
    this.groupReader ??= new GroupRead(this.client, this.maxTxnOps);
    const r = await this.run(() => this.groupReader!.get(specKey(kind, namespace, name), statusKey(kind, namespace, name)));
    return r.spec ? decode<T>(r.spec, r.status) : undefined;
  }

  /** Objects of a kind (in one namespace, or all), read at one revision. */
  async list<T extends AnyResource>(kind: KindInfo, namespace?: string, atRevision?: string): Promise<ListResult<T>> {
    const sp = specPrefix(kind, namespace);
    const tp = statusPrefix(kind, namespace);
    const at = atRevision ? { revision: atRevision } : {};
    const res = await this.run(async () => {
      try {
        return await this.client.kv.txn({
          compare: [],
          success: [
            { request_range: { key: Buffer.from(sp), range_end: prefixEnd(sp), ...at } },
            { request_range: { key: Buffer.from(tp), range_end: prefixEnd(tp), ...at } },
          ],
          failure: [],
        });
      } catch (e) {
        if (/compacted/.test(String(e))) {
          throw new ApiError('Gone', `resourceVersion ${atRevision} is older than etcd keeps (compacted); list again and watch from the new resourceVersion`);
        }
        if (/future revision/.test(String(e))) {
          throw new ApiError('BadRequest', `resourceVersion ${atRevision} is newer than the store's current revision`);
        }
        throw e;
      }
    });
    const statuses = new Map<string, IKeyValue>();
    for (const kv of res.responses[1]?.response_range?.kvs ?? []) {
      const t = parseTail(kv.key.toString(), statusPrefix(kind));
      if (t) statuses.set(`${t.namespace}/${t.name}`, kv);
    }
    const items: Stored<T>[] = [];
    for (const kv of res.responses[0]?.response_range?.kvs ?? []) {
      const t = parseTail(kv.key.toString(), specPrefix(kind));
      if (!t) continue;
      items.push(decode<T>(kv, statuses.get(`${t.namespace}/${t.name}`)));
    }
    return { items, revision: atRevision ?? String(res.header.revision) };
  }

  /** Fill what the server owns on a new object: uid, creation time, generation. */
  static initMeta(kind: KindInfo, obj: AnyResource): void {
    const m = obj.metadata;
    if (kind.namespaced) m.namespace = m.namespace ?? 'default';
    else delete m.namespace;
    m.uid = m.uid ?? randomUUID();
    m.creationTimestamp = m.creationTimestamp ?? new Date().toISOString();
    m.generation = 1;
    delete m.resourceVersion;
  }

  /** Add the create of obj (and its status, if any) to txn. */
  static addCreate(txn: Txn, kind: KindInfo, obj: AnyResource): void {
    Store.initMeta(kind, obj);
    const key = specKey(kind, obj.metadata.namespace, obj.metadata.name);
    txn.ifAbsent(key).put(key, encodeSpec(obj));
    if (obj.status !== undefined) txn.put(statusKey(kind, obj.metadata.namespace, obj.metadata.name), JSON.stringify(obj.status));
  }

  async create<T extends AnyResource>(kind: KindInfo, obj: T, opts: WriteOptions = {}): Promise<Stored<T>> {
    const txn = this.txn(opts.fence);
    Store.addCreate(txn, kind, obj);
    const r = await txn.commit();
    if (!r.succeeded) {
      throw new ApiError('AlreadyExists', `${kind.singular} "${obj.metadata.name}" already exists${kind.namespaced ? ` in namespace "${obj.metadata.namespace}"` : ''}`);
    }
    obj.metadata.resourceVersion = r.revision;
    return { object: obj, specRev: r.revision, statusRev: obj.status !== undefined ? r.revision : '0' };
  }

  /**
   * Replace the object's spec and metadata. CAS on `expectedRev` (the
   * revision the writer read, or the one the user sent). Keeps uid and
   * creation time of `prev`; bumps generation when the spec changed.
   */
  async update<T extends AnyResource>(kind: KindInfo, obj: T, prev: Stored, expectedRev: string, opts: WriteOptions = {}): Promise<Stored<T>> {
    Store.carryMeta(kind, obj, prev);
    const txn = this.txn(opts.fence);
    Store.addUpdate(txn, kind, obj, expectedRev);
    const r = await txn.commit();
    const key = specKey(kind, obj.metadata.namespace, obj.metadata.name);
    if (!r.succeeded) throw conflictError(`${kind.singular} "${obj.metadata.name}"`, expectedRev, r.current.get(key));
    obj.metadata.resourceVersion = r.revision;
    return { object: obj, specRev: r.revision, statusRev: prev.statusRev };
  }

  /** Keep what the server owns from the previous version; bump generation when the spec changed. */
  static carryMeta(kind: KindInfo, obj: AnyResource, prev: Stored): void {
    const pm = prev.object.metadata;
    obj.metadata = {
      ...obj.metadata,
      name: pm.name,
      uid: pm.uid,
      creationTimestamp: pm.creationTimestamp,
      generation: (pm.generation ?? 1) + (jsonEqual(obj.spec, prev.object.spec) ? 0 : 1),
    };
    if (kind.namespaced) obj.metadata.namespace = pm.namespace;
    else delete obj.metadata.namespace;
  }

  /** Add a spec update guarded by expectedRev to txn (metadata already carried). */
  static addUpdate(txn: Txn, kind: KindInfo, obj: AnyResource, expectedRev: string): void {
    const key = specKey(kind, obj.metadata.namespace, obj.metadata.name);
    txn.ifModRev(key, expectedRev).put(key, encodeSpec(obj));
  }

  /** Write status with CAS on the status key's revision ("0": none yet). Returns the new status revision. */
  async putStatus(kind: KindInfo, namespace: string | undefined, name: string, status: unknown, expectedStatusRev: string, opts: WriteOptions = {}): Promise<string> {
    const txn = this.txn(opts.fence);
    Store.addPutStatus(txn, kind, namespace, name, status, expectedStatusRev);
    return Store.statusWritten(await txn.commit(), kind, namespace, name, expectedStatusRev);
  }

  /**
   * The same status write, sharing a round trip with the other writes asked
   * for in this turn of the event loop (group-commit.ts). For hot paths.
   */
  async putStatusGrouped(kind: KindInfo, namespace: string | undefined, name: string, status: unknown, expectedStatusRev: string, opts: WriteOptions = {}): Promise<string> {
    const r = await this.group.commit(opts.fence, (txn) => Store.addPutStatus(txn, kind, namespace, name, status, expectedStatusRev));
    return Store.statusWritten(r, kind, namespace, name, expectedStatusRev);
  }

  /** The new status revision of a status write's result; Conflict or NotFound when it failed. */
  static statusWritten(r: TxnResult, kind: KindInfo, namespace: string | undefined, name: string, expectedStatusRev: string): string {
    if (!r.succeeded) {
      const sk = statusKey(kind, namespace, name);
      const ok = r.current.has(specKey(kind, namespace, name));
      throw ok
        ? conflictError(`status of ${kind.singular} "${name}"`, expectedStatusRev, r.current.get(sk))
        : new ApiError('NotFound', `${kind.singular} "${name}" not found`);
    }
    return r.revision;
  }

  /** Independent writes of this turn of the event loop share round trips (group-commit.ts). */
  get group(): GroupCommit {
    return (this.groupCommit ??= new GroupCommit(this));
  }

  /** Status write guarded by the status revision and by the object still existing. */
  static addPutStatus(txn: Txn, kind: KindInfo, namespace: string | undefined, name: string, status: unknown, expectedStatusRev: string): void {
    const sk = statusKey(kind, namespace, name);
    const k = specKey(kind, namespace, name);
    txn.ifModRev(sk, expectedStatusRev).compareExists(k).put(sk, JSON.stringify(status));
  }

  /**
   * Delete an object and its status (and a task's assignment, a service's
   * service ports). With
   * `expectedRev`, only if the object is still at that revision.
   */
  async remove(kind: KindInfo, namespace: string | undefined, name: string, expectedRev?: string, opts: WriteOptions = {}): Promise<Stored | undefined> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(kind, namespace, name);
      if (!cur) return undefined;
      const txn = this.txn(opts.fence);
      Store.addRemove(txn, kind, cur, expectedRev);
      const r = await txn.commit();
        if (r.succeeded) return cur;
      const now = r.current.get(specKey(kind, namespace, name));
      // Only the status moved (an agent's report, a binding): read again and retry.
      const specMoved = !now || String(now.mod_revision) !== (expectedRev ?? cur.specRev);
      if (specMoved || attempt >= 5) throw conflictError(`${kind.singular} "${name}"`, expectedRev ?? cur.specRev, now);
    }
  }

  /**
   * Add the delete of an object, its status and (for a bound task) its
   * assignment to txn. The status revision is compared too: a task that was
   * bound since it was read must not be deleted without its assignment, or
   * its agent would run a container nobody owns.
   */
  static addRemove(txn: Txn, kind: KindInfo, cur: Stored, expectedRev?: string): void {
    const m = cur.object.metadata;
    const key = specKey(kind, m.namespace, m.name);
    const sk = statusKey(kind, m.namespace, m.name);
    txn.ifModRev(key, expectedRev ?? cur.specRev).ifModRev(sk, cur.statusRev).del(key).del(sk);
    const node = (cur.object.status as { nodeName?: string } | undefined)?.nodeName;
    if (kind.kind === 'Task' && node) txn.del(assignmentKey(node, nsSegment(kind, m.namespace), m.name));
    // a service's ports are free again (their claims, api/service-ports.ts, go with the spec)
    if (kind.kind === 'Service') for (const p of servicePortsOf(cur.object.spec as ServiceSpec).keys()) txn.del(servicePortKey(p));
  }

  private async run<R>(f: () => Promise<R>): Promise<R> {
    try {
      return await f();
    } catch (e) {
      throw unavailable(e);
    }
  }
}

/** The range end that covers every key starting with prefix. */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  const end = Buffer.from(b);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
