/**
 * A list + watch cache of one kind, joining each object with its status:
 *
 *   list (spec + status at one revision) ──► cache ──► handlers(ADDED/MODIFIED/DELETED)
 *        └─ watch spec prefix and status prefix from revision+1 ─┘
 *   watch canceled (compaction) ──► re-list, diff against the cache, watch again
 *
 * The etcd client resumes watches after a disconnect from the last revision
 * it saw, so an etcd restart costs no events. Objects handed out are shared:
 * never modify them (clone first).
 */
import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import { impliedStatus } from '../api/implied-status.js';
import { errMsg, type Logger } from '../log/logger.js';
import { parseTail, specPrefix, statusPrefix } from '../store/keys.js';
import type { Store, Stored } from '../store/store.js';
import { Backoff } from '../util/backoff.js';
import { warnUnlessEtcdDown } from '../store/etcd-health.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerEvent<T extends AnyResource> {
  type: EventType;
  key: string;
  /** The object after the change (before it, for DELETED). */
  stored: Stored<T>;
  /** Before the change, for MODIFIED. */
  old?: Stored<T>;
  /** The etcd revision of this change (of the list, for changes a re-list found). */
  revision: string;
}

export type Handler<T extends AnyResource> = (e: InformerEvent<T>) => void;

/** The two halves of an object as last seen, and their join. */
interface Entry {
  spec?: AnyResource;
  specRev?: string;
  status?: unknown;
  statusRev?: string;
  /** The status key was deleted at this revision while the object stayed (so far). */
  statusGoneAt?: string;
  stored?: Stored<any>;
}

export class Informer<T extends AnyResource = AnyResource> {
  private readonly entries = new Map<string, Entry>();
  private readonly handlers: Handler<T>[] = [];
  private watchers: Watcher[] = [];
  /**
   * How far each watch has delivered: the revision of its last event (or of
   * the list it started from). A watch response's header revision is not
   * that: etcd stamps the store's current revision on the responses of a
   * watch still catching up, whose events are older.
   */
  private specRev = 0n;
  private statusRev = 0n;
  private synced = false;
  private stopped = false;
  private relisting: Promise<void> | undefined;
  private starting = false;
  private readonly client: Etcd3;

  constructor(
    private readonly store: Store,
    readonly kind: KindInfo,
    private readonly log: Logger,
  ) {
    this.client = store.client;
  }

  /** Register a handler; it sees every change after it was added. */
  onChange(h: Handler<T>): () => void {
    this.handlers.push(h);
    return () => {
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** A revision the cache reflects every change up to (both watches have delivered that far). */
  get revision(): string {
    return String(this.specRev < this.statusRev ? this.specRev : this.statusRev);
  }

  get(key: string): Stored<T> | undefined {
    return this.entries.get(key)?.stored;
  }

  list(): Stored<T>[] {
    const out: Stored<T>[] = [];
    for (const e of this.entries.values()) if (e.stored) out.push(e.stored);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.stored) n++;
    return n;
  }

  /** Keys held, status keys whose object is gone included: what the cache costs. */
  get heldKeys(): number {
    return this.entries.size;
  }

  /** List, fill the cache, start watching. Resolves once synced. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listAndWatch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.relisting) await Promise.race([this.relisting, sleep(1000)]);
    const ws = this.watchers.splice(0);
    // etcd acknowledges a cancel; a broken stream may never do so.
    await Promise.race([Promise.all(ws.map((w) => w.cancel().catch(() => undefined))), sleep(1000)]);
  }

  private async listAndWatch(): Promise<void> {
    this.starting = true;
    try {
      await this.listAndWatchOnce();
    } finally {
      this.starting = false;
    }
  }

  private async listAndWatchOnce(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        const l = await this.store.list<T>(this.kind);
        if (this.stopped) return;
        this.replace(l.items, l.revision);
        await this.watch(String(BigInt(l.revision) + 1n));
        this.synced = true;
        return;
      } catch (e) {
        for (const w of this.watchers.splice(0)) void w.cancel().catch(() => undefined);
        const ms = backoff.next();
        warnUnlessEtcdDown(this.log, 'informer list failed; retrying', { kind: this.kind.plural, error: errMsg(e), retryInMs: ms }, e);
        await sleep(ms);
      }
    }
  }

  /** Make the cache equal to items, emitting the differences. */
  private replace(items: Stored<T>[], revision: string): void {
    const seen = new Set<string>();
    for (const s of items) {
      const key = `${s.object.metadata.namespace ?? '_'}/${s.object.metadata.name}`;
      seen.add(key);
      const old = this.entries.get(key)?.stored;
      const { status, ...spec } = s.object;
      const hasStatus = s.statusRev !== '0';
      this.entries.set(key, { stored: s, spec, specRev: s.specRev, status: hasStatus ? status : undefined, statusRev: hasStatus ? s.statusRev : undefined });
      if (!old) this.emit({ type: 'ADDED', key, stored: s, revision });
      else if (old.specRev !== s.specRev || old.statusRev !== s.statusRev) this.emit({ type: 'MODIFIED', key, stored: s, old, revision });
    }
    for (const [key, e] of this.entries) {
      if (seen.has(key)) continue;
      this.entries.delete(key);
      if (e.stored) this.emit({ type: 'DELETED', key, stored: e.stored, revision });
    }
    this.specRev = this.statusRev = BigInt(revision);
  }

  private async watch(from: string): Promise<void> {
    // Watchers are kept from the moment they exist (not once connected), so
    // stop() can always detach them: a watcher left in the etcd client would
    // retry its stream forever, even after the client is closed.
    const spec = specPrefix(this.kind);
    const status = statusPrefix(this.kind);
    const make = (prefix: string, isStatus: boolean): Watcher => {
      const w = this.client.watch().prefix(prefix).startRevision(from).watcher();
      w.on('data', (res: IWatchResponse) => this.onData(res, prefix, isStatus));
      w.on('error', (e: Error) => this.onWatchError(e));
      return w;
    };
    const ws = [make(spec, false), make(status, true)];
    this.watchers = ws;
    await Promise.all(ws.map((w) => connected(w)));
  }

  private onWatchError(e: Error): void {
    // while (re)starting, the failed attach is handled by listAndWatch itself
    if (this.stopped || this.relisting || this.starting) return;
    warnUnlessEtcdDown(this.log, 'watch canceled; re-listing', { kind: this.kind.plural, error: errMsg(e) }, e);
    this.relisting = (async () => {
      // A canceled watcher may never acknowledge a cancel: don't wait for it.
      for (const w of this.watchers.splice(0)) void w.cancel().catch(() => undefined);
      await this.listAndWatch();
    })().finally(() => {
      this.relisting = undefined;
    });
  }

  /** Changes under `prefix`, the kind's spec or its status keys. */
  private onData(res: IWatchResponse, prefix: string, isStatus: boolean): void {
    for (const ev of res.events) {
      // the revision of this change (for a delete, etcd reports the deletion's revision)
      const revision = String(ev.kv.mod_revision);
      const r = BigInt(revision);
      if (isStatus) {
        if (r > this.statusRev) this.statusRev = r;
      } else if (r > this.specRev) this.specRev = r;
      const t = parseTail(ev.kv.key.toString(), prefix);
      if (!t) continue;
      const key = `${t.namespace}/${t.name}`;
      const e: Entry = this.entries.get(key) ?? {};
      const old = e.stored;
      if (ev.type === 'Delete') {
        if (isStatus && e.spec) {
          // An object and its status go in one transaction, but their events come
          // through two watches: keep the status until the object's own delete
          // arrives, so the DELETED event still says where the task ran.
          e.statusGoneAt = revision;
          continue;
        }
        if (isStatus) e.status = e.statusRev = undefined;
        else {
          e.spec = e.specRev = undefined;
          // its status key went first (and was kept for this DELETED): nothing of the object is left
          if (e.statusGoneAt !== undefined) e.status = e.statusRev = e.statusGoneAt = undefined;
        }
      } else {
        // After a re-list the cache may already hold a newer version than a replayed event.
        const cur = isStatus ? e.statusRev : e.specRev;
        if (cur && BigInt(cur) >= BigInt(revision)) continue;
        const value = JSON.parse(ev.kv.value.toString());
        if (isStatus) {
          e.status = value;
          e.statusRev = revision;
          e.statusGoneAt = undefined;
        } else {
          value.metadata.resourceVersion = revision;
          e.spec = value;
          e.specRev = revision;
          if (e.statusGoneAt !== undefined && BigInt(revision) > BigInt(e.statusGoneAt)) {
            // the status really was deleted on its own
            e.status = e.statusRev = e.statusGoneAt = undefined;
          }
        }
      }
      if (!e.spec) {
        e.stored = undefined;
        if (e.status !== undefined) this.entries.set(key, e);
        else this.entries.delete(key);
        if (old) this.emit({ type: 'DELETED', key, stored: old, revision });
        continue;
      }
      // no status key (yet): the kind's implied status (a new Task is Pending)
      const status = e.status ?? impliedStatus(e.spec.kind);
      const object = (status === undefined ? e.spec : { ...e.spec, status }) as T;
      const stored: Stored<T> = { object, specRev: e.specRev!, statusRev: e.statusRev ?? '0' };
      e.stored = stored;
      this.entries.set(key, e);
      this.emit(old ? { type: 'MODIFIED', key, stored, old, revision } : { type: 'ADDED', key, stored, revision });
    }
  }

  private emit(e: InformerEvent<T>): void {
    for (const h of this.handlers) {
      try {
        h(e);
      } catch (err) {
        this.log.error('informer handler threw', { kind: this.kind.plural, error: errMsg(err) });
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the watcher is attached to etcd; rejects if etcd refuses it (e.g. compacted). */
function connected(w: Watcher): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = () => {
      w.off('error', fail);
      resolve();
    };
    const fail = (e: Error) => {
      w.off('connected', ok);
      reject(e);
    };
    w.once('connected', ok);
    w.once('error', fail);
  });
}
