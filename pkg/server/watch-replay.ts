/**
 * A stream's private source, for a resume from before the watch cache's
 * window (after a server restart, or a client away for long):
 *
 *   list the kind(s) at R (410 Gone when etcd compacted R) ──► a KindView of its own each
 *   one etcd watch over /stowage/ from R+1 ──► the same join as the cache ──► events
 *
 * The stream leaves it for the shared cache as soon as the replay has
 * delivered everything up to the cache's window (see watch.ts). `ReplayGate`
 * bounds how many replays run at once; the others wait their turn.
 */
import type { IWatchResponse, Watcher } from 'etcd3';
import type { KindInfo } from '../api/kinds.js';
import { ROOT } from '../store/keys.js';
import type { Store } from '../store/store.js';
import { applyResponse, KindView, type Want, type WatchEvent } from './watch-join.js';

export class Replay {
  private watcher: Watcher | undefined;
  private reached: bigint;

  private constructor(
    private readonly store: Store,
    /** A view per kind replayed, by plural. */
    readonly views: ReadonlyMap<string, KindView>,
    /** The revision of the list. */
    readonly revision: string,
  ) {
    this.reached = BigInt(revision);
  }

  /**
   * List the kinds at `at` (without it: the first at etcd's current revision,
   * the others at that same revision): throws 410 Gone when compacted, 400
   * in the future, 503 when etcd is away.
   */
  static async open(store: Store, kinds: readonly KindInfo[], at: string | undefined): Promise<Replay> {
    const views = new Map<string, KindView>();
    let revision = at;
    for (const kind of kinds) {
      const l = await store.list(kind, undefined, revision);
      revision = l.revision;
      const view = new KindView(kind);
      view.replace(l.items, l.revision);
      views.set(kind.plural, view);
    }
    if (revision === undefined) throw new RangeError('a replay needs at least one kind');
    return new Replay(store, views, revision);
  }

  /** Every change up to this revision has been handed to onEvents. */
  get position(): bigint {
    return this.reached;
  }

  /** The objects of the kinds as of `revision` that `want` keeps, kind after kind. */
  snapshot(want: Want): Buffer[] {
    const out: Buffer[] = [];
    for (const v of this.views.values()) for (const b of v.snapshot(want)) out.push(b);
    return out;
  }

  /** Watch from the list on; events come in revision order, one call per etcd response. */
  start(onEvents: (events: WatchEvent[]) => void, onError: (e: Error) => void): void {
    const w = this.store.client.watch().prefix(`${ROOT}/`).startRevision(String(this.reached + 1n)).watcher();
    w.on('data', (res: IWatchResponse) => {
      const out: WatchEvent[] = [];
      applyResponse(res, (p) => this.views.get(p), out);
      const head = BigInt(res.header.revision);
      const last = out.length > 0 ? out[out.length - 1]!.rev : 0n;
      const reached = head > last ? head : last;
      if (reached > this.reached) this.reached = reached;
      onEvents(out);
    });
    w.on('error', onError);
    this.watcher = w;
  }

  async stop(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    // etcd acknowledges a cancel; a broken stream may never do so
    if (w) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** At most `max` holders at once; the others wait in order. */
export class ReplayGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  get active(): number {
    return this.running;
  }

  /** Resolves with a release function once a place is free; rejects if `signal` aborts first. */
  enter(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.running++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.running--;
          this.waiting.shift()?.();
        });
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.running < this.max) grant();
      else this.waiting.push(grant);
    });
  }
}
