/**
 * The watch cache: one etcd watch and one copy of each watched kind for
 * every API watch stream of this server (Kubernetes' watch cache).
 *
 *   etcd ── one watch over /stowage/ (spec and status, revision order) ──┐
 *                                                                       ▼
 *      ensure(kind): list the kind at the cache's revision ──► KindView per kind
 *                                                                       │ events, each
 *                                                                       ▼ serialized once
 *      ring of recent events (bounded: maxEvents, maxBytes) ◄── append ──┤
 *        └─ since(kind, R): a resume from R inside the window            │ next turn of
 *                                                                       ▼ the event loop
 *      subscribers (WatchStream per open stream) ◄──────────── fan-out, one batch per turn
 *        (per kind; a stream of several kinds takes the whole batch, in order)
 *
 * Invariants: every change up to `revision` has been applied; the ring holds
 * every event of a kind after `windowStart(kind)` (the later of the kind's
 * load and the newest event the ring let go). A watch canceled by etcd
 * (its start revision was compacted while the client was away) makes the
 * cache list every kind again at one revision, send the differences as
 * events of that revision, and start its window there.
 *
 * A resume from before the window is not served here: it replays from etcd
 * (watch-replay.ts), at most a few at once, until it reaches the window,
 * rather than answering 410. A client back after a server restart (the
 * window starts empty) or a long absence then still gets exactly what it
 * missed while etcd keeps it, as before this cache; 410 stays for what etcd
 * compacted. See watch.ts.
 *
 * Started on the first stream; stopped (watch canceled, memory freed) once
 * no stream has used it for IDLE_STOP_MS. Loads, watch responses and
 * re-lists run one at a time, in order (`serial`).
 */
import type { Watcher, IWatchResponse } from 'etcd3';
import { ApiError, isApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import { errMsg, type Logger } from '../log/logger.js';
import * as metrics from '../metrics/metrics.js';
import { unavailable } from '../store/errors.js';
import { ROOT } from '../store/keys.js';
import type { Store } from '../store/store.js';
import { retry } from '../util/backoff.js';
import { applyResponse, KindView, type Want, type WatchEvent } from './watch-join.js';
import { warnUnlessEtcdDown } from '../store/etcd-health.js';

export interface WatchCacheOptions {
  /** The ring keeps at most this many events ... */
  maxEvents: number;
  /** ... and at most this many bytes of them. */
  maxBytes: number;
  /** Stop (and free everything) after this long without a stream. */
  idleStopMs: number;
}

/** Something the cache hands live events to (a WatchStream). */
export interface Subscriber {
  offer(events: readonly WatchEvent[]): void;
}

export class WatchCache {
  private readonly kinds = new Map<string, { view: KindView; loadedAt: bigint }>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly subs = new Map<string, Set<Subscriber>>();
  /** Streams of several kinds: they take every event, in revision order. */
  private readonly allSubs = new Set<Subscriber>();
  private ring: (WatchEvent | undefined)[] = [];
  private ringHead = 0;
  private ringBytes = 0;
  /** Every event after this revision is in the ring. */
  private floor = 0n;
  private rev = 0n;
  private watcher: Watcher | undefined;
  private started: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private pending: WatchEvent[] = [];
  private fanoutScheduled = false;
  private readonly waiters = new Set<{ rev: bigint; done: () => void }>();
  private stopped = false;
  private users = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly o: WatchCacheOptions,
    private readonly onStop: () => void = () => undefined,
  ) {}

  /** Every change up to this revision is applied. */
  get revision(): bigint {
    return this.rev;
  }

  /** A resume of these kinds from R is served from memory when R >= this. */
  windowStart(kinds: readonly KindInfo[]): bigint {
    let start = this.floor;
    for (const kind of kinds) {
      const k = this.kinds.get(kind.plural);
      if (!k) throw new RangeError(`the watch cache has not loaded ${kind.plural}`);
      if (k.loadedAt > start) start = k.loadedAt;
    }
    return start;
  }

  /** Mark a stream using the cache (it stays up while any does). */
  acquire(): void {
    this.users++;
    clearTimeout(this.idle);
  }

  release(): void {
    if (--this.users > 0) return;
    this.idle = setTimeout(() => {
      if (this.users === 0) void this.stop();
    }, this.o.idleStopMs);
    this.idle.unref();
  }

  /** Start the cache and load a kind, unless done already. Throws 503 when etcd cannot be read. */
  async ensure(kind: KindInfo): Promise<void> {
    if (this.kinds.has(kind.plural)) return;
    await this.start();
    let p = this.loading.get(kind.plural);
    if (!p) {
      p = this.serial(() => this.load(kind)).finally(() => this.loading.delete(kind.plural));
      this.loading.set(kind.plural, p);
    }
    await p;
  }

  /** Resolves once the cache reflects `rev`, or after `ms` (then it is behind, and says false). */
  fresh(rev: bigint, ms: number): Promise<boolean> {
    if (this.rev >= rev) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        rev,
        done: () => {
          clearTimeout(t);
          this.waiters.delete(w);
          resolve(this.rev >= rev);
        },
      };
      const t = setTimeout(w.done, ms);
      this.waiters.add(w);
    });
  }

  /**
   * The current objects of these kinds that `want` keeps (their JSON), kind
   * after kind. Read in one go, so all of them are as of `revision`.
   */
  snapshot(kinds: readonly KindInfo[], want: Want): Buffer[] {
    const out: Buffer[] = [];
    for (const kind of kinds) for (const b of this.kinds.get(kind.plural)?.view.snapshot(want) ?? []) out.push(b);
    return out;
  }

  /** The events of these kinds after revision `after` that the ring holds, oldest first. */
  since(kinds: readonly KindInfo[], after: bigint): WatchEvent[] {
    const wanted = new Set(kinds.map((k) => k.plural));
    const out: WatchEvent[] = [];
    for (let i = this.ring.length - 1; i >= this.ringHead; i--) {
      const e = this.ring[i]!;
      if (e.rev <= after) break;
      if (wanted.has(e.kind)) out.push(e);
    }
    return out.reverse();
  }

  /**
   * Live events from the next fan-out on: of one kind, or, for a stream of
   * several kinds, every event in revision order (the stream keeps its kinds).
   */
  subscribe(kinds: readonly KindInfo[], s: Subscriber): () => void {
    if (kinds.length !== 1) {
      this.allSubs.add(s);
      return () => this.allSubs.delete(s);
    }
    const plural = kinds[0]!.plural;
    let set = this.subs.get(plural);
    if (!set) this.subs.set(plural, (set = new Set()));
    set.add(s);
    return () => set.delete(s);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop();
    const w = this.watcher;
    this.watcher = undefined;
    this.kinds.clear();
    this.subs.clear();
    this.allSubs.clear();
    this.dropRing();
    for (const x of this.waiters) x.done();
    if (w) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private start(): Promise<void> {
    if (this.stopped) return Promise.reject(new ApiError('Unavailable', 'the watch cache is stopping; retry'));
    this.started ??= (async () => {
      const head = BigInt(await readRevision(this.store));
      this.rev = this.floor = head;
      this.watch(head + 1n);
      this.log.info('watch cache started', { revision: String(head) });
    })().catch((e) => {
      this.started = undefined;
      throw e;
    });
    return this.started;
  }

  /** Run f after everything queued before it. */
  private serial<T>(f: () => T | Promise<T>): Promise<T> {
    const p = this.chain.then(f);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async load(kind: KindInfo): Promise<void> {
    if (this.kinds.has(kind.plural) || this.stopped) return;
    let l;
    try {
      l = await this.store.list(kind, undefined, String(this.rev));
    } catch (e) {
      // our revision was compacted away (nothing changed since): list now, and skip the kind's older events
      if (!isApiError(e, 'Gone')) throw e;
      l = await this.store.list(kind);
    }
    const view = new KindView(kind);
    view.replace(l.items, l.revision);
    this.kinds.set(kind.plural, { view, loadedAt: BigInt(l.revision) });
    this.log.info('watch cache loaded a kind', { kind: kind.plural, objects: view.size, revision: l.revision });
  }

  private watch(from: bigint): void {
    const w = this.store.client.watch().prefix(`${ROOT}/`).startRevision(String(from)).watcher();
    w.on('data', (res: IWatchResponse) => void this.serial(() => this.apply(res)));
    w.on('error', (e: Error) => this.onWatchError(w, e));
    this.watcher = w;
  }

  private apply(res: IWatchResponse): void {
    if (this.stopped) return;
    const out: WatchEvent[] = [];
    applyResponse(res, (plural, rev) => {
      const k = this.kinds.get(plural);
      return k && rev > k.loadedAt ? k.view : undefined;
    }, out);
    for (const e of out) this.append(e);
    const head = BigInt(res.header.revision);
    const last = out.length > 0 ? out[out.length - 1]!.rev : 0n;
    const reached = head > last ? head : last;
    if (reached > this.rev) this.rev = reached;
    this.wake();
    this.schedule(out);
  }

  private onWatchError(w: Watcher, e: Error): void {
    if (this.stopped || w !== this.watcher) return;
    this.watcher = undefined;
    void w.cancel().catch(() => undefined);
    warnUnlessEtcdDown(this.log, 'watch cache: etcd canceled the watch; listing again', { error: errMsg(e) }, e);
    void this.serial(() => this.relist());
  }

  /** List every loaded kind at one revision, send the differences, start the window there. */
  private async relist(): Promise<void> {
    await retry(async () => {
      if (this.stopped) return;
      const head = await readRevision(this.store);
      const lists = [];
      for (const k of this.kinds.values()) lists.push({ k, l: await this.store.list(k.view.kind, undefined, head) });
      const out: WatchEvent[] = [];
      for (const { k, l } of lists) for (const e of k.view.replace(l.items, head)) out.push(e);
      this.dropRing();
      this.rev = this.floor = BigInt(head);
      this.watch(this.rev + 1n);
      this.wake();
      this.schedule(out);
    }, { stopped: () => this.stopped, onError: (e, ms) => warnUnlessEtcdDown(this.log, 'watch cache: re-list failed; retrying', { error: errMsg(e), retryInMs: ms }, e) });
  }

  private append(e: WatchEvent): void {
    this.ring.push(e);
    this.ringBytes += e.frame.length;
    while (this.ring.length - this.ringHead > this.o.maxEvents || this.ringBytes > this.o.maxBytes) {
      const old = this.ring[this.ringHead]!;
      this.ring[this.ringHead++] = undefined;
      this.ringBytes -= old.frame.length;
      this.floor = old.rev;
    }
    if (this.ringHead > 4096 && this.ringHead * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.ringHead);
      this.ringHead = 0;
    }
    metrics.watchWindowEvents.set(this.ring.length - this.ringHead);
    metrics.watchWindowBytes.set(this.ringBytes);
  }

  private dropRing(): void {
    this.ring = [];
    this.ringHead = 0;
    this.ringBytes = 0;
    metrics.watchWindowEvents.set(0);
    metrics.watchWindowBytes.set(0);
  }

  private wake(): void {
    for (const w of this.waiters) if (this.rev >= w.rev) w.done();
  }

  /** Hand events to the streams on the next turn: a burst of etcd responses becomes one write per stream. */
  private schedule(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) this.pending.push(e);
    if (this.fanoutScheduled) return;
    this.fanoutScheduled = true;
    setImmediate(() => this.fanout());
  }

  private fanout(): void {
    this.fanoutScheduled = false;
    const events = this.pending;
    this.pending = [];
    const byKind = new Map<string, WatchEvent[]>();
    for (const e of events) {
      let l = byKind.get(e.kind);
      if (!l) byKind.set(e.kind, (l = []));
      l.push(e);
    }
    for (const [kind, list] of byKind) {
      for (const s of this.subs.get(kind) ?? []) {
        try {
          s.offer(list);
        } catch (err) {
          this.log.error('watch stream failed to take events', { kind, error: errMsg(err) });
        }
      }
    }
    // a stream of several kinds gets them interleaved as etcd ordered them, never kind by kind
    for (const s of this.allSubs) {
      try {
        s.offer(events);
      } catch (err) {
        this.log.error('watch stream failed to take events', { kind: 'several', error: errMsg(err) });
      }
    }
  }
}

/**
 * etcd's current revision; with `at`, also checks that etcd still keeps
 * revision `at` (410 Gone when compacted, 400 when in the future: the same
 * words as a list at that revision). 503 when etcd cannot be read.
 */
export async function readRevision(store: Store, at?: string): Promise<string> {
  try {
    const g = store.client.get(`${ROOT}/`);
    if (at !== undefined) g.revision(at);
    return String((await g.exec()).header.revision);
  } catch (e) {
    if (at !== undefined && /compacted/.test(String(e))) {
      throw new ApiError('Gone', `resourceVersion ${at} is older than etcd keeps (compacted); list again and watch from the new resourceVersion`);
    }
    if (at !== undefined && /future revision/.test(String(e))) {
      throw new ApiError('BadRequest', `resourceVersion ${at} is newer than the store's current revision`);
    }
    throw unavailable(e);
  }
}
