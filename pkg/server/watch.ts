/**
 * Watch as Server-Sent Events:
 *
 *   GET /api/v1/<kind>?watch=1[&resourceVersion=R][&namespace=NS][&labelSelector=SEL]
 *   GET /api/v1/watch?kinds=K1,K2,...[&resourceVersion=R][&namespace=NS][&labelSelector=SEL]
 *
 *   no R:  one ADDED per current object, then every change
 *   R:     the state at R is the starting point; only changes after R are sent
 *          (Last-Event-ID works the same, so EventSource clients resume; R = 0 is no R)
 *
 * Each event: `event: ADDED|MODIFIED|DELETED`, `id: <etcd revision>` (of
 * the change; for the initial ADDED, of the list), `data: <object>`, in
 * revision order, spec and status changes alike. etcd's revisions are one
 * sequence for every key, so a stream of several kinds interleaves them in
 * that order and one revision resumes them all; each object's `kind` names
 * its kind, and its initial list (at one revision, every kind) ends with
 * `event: LISTED`.
 *
 * Where each stream's events come from:
 *
 *   check R against etcd (503 down, 410 compacted, 400 future) ──┐
 *                                                               ▼
 *   no R ─────────────► the shared watch cache: its objects at its revision, then live
 *   R in the window ──► the cache's ring (history after R), then live
 *   R before it ──────► a replay from etcd (watch-replay.ts) until it reaches the
 *                       window, then the cache like the others
 *
 * Old resumes replay rather than answer 410: a client that comes back after
 * a server restart (the window starts empty) or a long absence still gets
 * exactly the changes it missed while etcd keeps them, as before the cache.
 * A replay holds a copy of its kinds and an etcd watch of its own, so at most
 * `maxReplays` run at once (the others wait their turn, costing a socket),
 * and each lasts only until it has caught up with the window.
 *
 * A client that does not keep up is cut off (watch-stream.ts): a final
 * `event: ERROR` with `{code: "TooSlow"}`, then the end of the stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import { isRevision } from '../api/revision.js';
import { matches, type Selector } from '../api/labels.js';
import { errMsg, type Logger } from '../log/logger.js';
import * as metrics from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import { readRevision, WatchCache } from './watch-cache.js';
import type { Want, WatchEvent } from './watch-join.js';
import { Replay, ReplayGate } from './watch-replay.js';
import { WatchStream } from './watch-stream.js';

const PING_MS = 15_000;
/** How long a new stream waits for the cache to reach etcd's current revision before it starts from what the cache has. */
const FRESH_WAIT_MS = 3000;

export interface WatchOptions {
  /** Bytes of events that may wait for one client before its stream is cut off. */
  maxQueuedBytes: number;
  /** Streams replaying history from etcd at once (resumes from before the cache's window). */
  maxReplays: number;
  /** The cache's window of recent events: at most this many ... */
  windowEvents: number;
  /** ... and this many bytes. */
  windowBytes: number;
  /** Serve each stream from a list and an etcd watch of its own instead of the shared cache (for comparisons). */
  cache: boolean;
}

export const WATCH_DEFAULTS: Readonly<WatchOptions> = {
  maxQueuedBytes: 8 << 20,
  maxReplays: 4,
  windowEvents: 50_000,
  windowBytes: 64 << 20,
  cache: true,
};

let options: WatchOptions = { ...WATCH_DEFAULTS };
let gate = new ReplayGate(options.maxReplays);
const caches = new WeakMap<Store, WatchCache>();
const IDLE_STOP_MS = 5 * 60_000;

/** Bytes of events that may wait for one watch client (the endpoints watch uses it too). */
export const watchQueueBytes = (): number => options.maxQueuedBytes;

/** Set the watch options of this process (from `stowage server` flags). */
export function configureWatch(o: Partial<WatchOptions>): void {
  options = { ...options, ...o };
  gate = new ReplayGate(options.maxReplays);
}

function cacheOf(store: Store, log: Logger): WatchCache {
  let c = caches.get(store);
  if (!c) {
    const cache = new WatchCache(store, log.child({ part: 'watch-cache' }), { maxEvents: options.windowEvents, maxBytes: options.windowBytes, idleStopMs: IDLE_STOP_MS }, () => {
      if (caches.get(store) === cache) caches.delete(store);
    });
    caches.set(store, (c = cache));
  }
  return c;
}

export interface WatchParams {
  /** One kind (`/api/v1/<kind>?watch=1`), or several (`/api/v1/watch?kinds=...`). */
  kinds: readonly KindInfo[];
  namespace?: string;
  /** The namespaces the caller may see (undefined: all); cluster-scoped objects are always seen. */
  visible?: (namespace: string | undefined) => boolean;
  selector?: Selector;
  resourceVersion?: string;
  /** End the initial list with `event: LISTED` (the watch of several kinds). */
  markListed?: boolean;
}

export async function serveWatch(store: Store, log: Logger, req: IncomingMessage, res: ServerResponse, p: WatchParams): Promise<void> {
  // an empty Last-Event-ID is none (an SSE client sends it after an `id:` that reset it)
  const given = p.resourceVersion ?? ((req.headers['last-event-id'] as string | undefined) || undefined);
  if (given !== undefined && !isRevision(given)) {
    throw new ApiError('BadRequest', `resourceVersion must be a decimal etcd revision; got "${given}"`, [{ field: 'resourceVersion', rule: 'integer', message: 'not a revision' }]);
  }
  // 0 is no revision etcd ever had: "from now", as in Kubernetes (a list, then the changes)
  const rv = given === undefined || BigInt(given) === 0n ? undefined : given;
  // Reading etcd first answers 503 at once when etcd is down, and 410/400 for an R it does not keep.
  const head = await readRevision(store, rv);
  const namespaced = new Map(p.kinds.map((k) => [k.plural, k.namespaced]));
  const w: Want = (namespace, labels, kind) => {
    const ns = namespaced.get(kind);
    return (
      ns !== undefined &&
      (!ns || ((p.namespace === undefined || namespace === p.namespace) && (!p.visible || p.visible(namespace)))) &&
      (!p.selector || matches(p.selector, labels))
    );
  };

  const left = new AbortController();
  const closed = new Promise<void>((resolve) => {
    const done = () => {
      left.abort(new Error('the client left'));
      resolve();
    };
    // (not req's 'close': Node fires it once a request's body is read, which a body-bearing GET's is while we wait)
    res.once('close', done);
    // a client that left while etcd was read has had its 'close' already: the stream would never end
    if (res.destroyed) done();
  });
  const r: Request = { store, log, res, kinds: p.kinds, rv, want: w, markListed: !!p.markListed, signal: left.signal, closed, cleanup: [] };
  try {
    const s = options.cache ? await serveFromCache(r, head) : await servePrivate(r);
    if (!s || left.signal.aborted) return;
    metrics.watchStreams.inc();
    const ping = setInterval(() => s.ping(), PING_MS);
    await closed;
    clearInterval(ping);
    metrics.watchStreams.dec();
  } catch (e) {
    // the client left while we waited: nobody to answer
    if (left.signal.aborted) return;
    throw e;
  } finally {
    for (const f of r.cleanup.splice(0).reverse()) {
      try {
        f();
      } catch (err) {
        log.error('watch clean-up failed', { error: errMsg(err) });
      }
    }
  }
}

/** One watch request being served. */
interface Request {
  store: Store;
  log: Logger;
  res: ServerResponse;
  kinds: readonly KindInfo[];
  rv: string | undefined;
  want: Want;
  markListed: boolean;
  /** Aborted when the client leaves. */
  signal: AbortSignal;
  closed: Promise<void>;
  /** Run when the request ends, last added first. */
  cleanup: (() => void)[];
}

/** Send the headers and the first comment: the stream from here on. */
function begin(r: Request, from: string, after: bigint): WatchStream {
  r.res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  r.res.write(`: watching ${r.kinds.map((k) => k.plural).join(',')} from revision ${from}\n\n`);
  const s = new WatchStream(r.res, { maxQueuedBytes: options.maxQueuedBytes, want: r.want, after });
  r.cleanup.push(() => s.close());
  return s;
}

/** The initial list: every object of the stream's kinds, then (several kinds) `event: LISTED`. */
function sendList(r: Request, s: WatchStream, revision: string, objects: Buffer[]): void {
  const end = r.markListed ? Buffer.from(`event: LISTED\nid: ${revision}\ndata: ${JSON.stringify({ resourceVersion: revision, objects: objects.length })}\n\n`) : undefined;
  s.sendList(revision, objects, end);
}

async function serveFromCache(r: Request, head: string): Promise<WatchStream | undefined> {
  const cache = cacheOf(r.store, r.log);
  cache.acquire();
  r.cleanup.push(() => cache.release());
  await Promise.race([Promise.all(r.kinds.map((k) => cache.ensure(k))), r.closed]);
  if (r.signal.aborted) return undefined;
  if (r.rv === undefined) {
    // start from the newest state: wait (briefly) for the cache to have seen what etcd has now
    await Promise.race([cache.fresh(BigInt(head), FRESH_WAIT_MS), r.closed]);
    if (r.signal.aborted) return undefined;
    const at = cache.revision;
    const s = begin(r, String(at), at);
    sendList(r, s, String(at), cache.snapshot(r.kinds, r.want));
    r.cleanup.push(cache.subscribe(r.kinds, s));
    return s;
  }
  const from = BigInt(r.rv);
  if (from >= cache.windowStart(r.kinds)) {
    const s = begin(r, r.rv, from > cache.revision ? from : cache.revision);
    s.sendHistory(cache.since(r.kinds, from));
    r.cleanup.push(cache.subscribe(r.kinds, s));
    return s;
  }
  return replayThenCache(r, cache, r.rv);
}

/** Replay from etcd (one of at most maxReplays at once), then move the stream to the cache. */
async function replayThenCache(r: Request, cache: WatchCache, rv: string): Promise<WatchStream | undefined> {
  const release = await gate.enter(r.signal);
  metrics.watchReplays.inc();
  let replay: Replay | undefined;
  let replaying = true;
  const endReplay = () => {
    if (!replaying) return;
    replaying = false;
    metrics.watchReplays.dec();
    void replay?.stop();
    release();
  };
  r.cleanup.push(endReplay);
  replay = await Replay.open(r.store, r.kinds, rv);
  if (r.signal.aborted) return undefined;
  const s = begin(r, rv, BigInt(rv));
  const rp = replay;
  // The ring holds every change after windowStart: once the replay has handed
  // over everything up to a revision at or past it, the rest comes from the cache.
  const handOver = () => {
    const at = rp.position;
    if (at < cache.windowStart(r.kinds)) return;
    endReplay();
    s.sendHistory(cache.since(r.kinds, at));
    s.raiseFloor(at > cache.revision ? at : cache.revision);
    r.cleanup.push(cache.subscribe(r.kinds, s));
  };
  rp.start(
    (events: WatchEvent[]) => {
      if (!replaying) return;
      s.offer(events);
      if (s.closed) endReplay();
      else handOver();
    },
    (e) => {
      if (!replaying) return;
      endReplay();
      s.cut('Gone', `the replay from revision ${rv} stopped (${errMsg(e)}); list again and watch from the new resourceVersion`);
    },
  );
  return s;
}

/** Without the cache: a list and an etcd watch per stream, for as long as it lasts. */
async function servePrivate(r: Request): Promise<WatchStream | undefined> {
  const replay = await Replay.open(r.store, r.kinds, r.rv);
  r.cleanup.push(() => void replay.stop());
  if (r.signal.aborted) return undefined;
  const s = begin(r, replay.revision, BigInt(replay.revision));
  if (r.rv === undefined) sendList(r, s, replay.revision, replay.snapshot(r.want));
  replay.start(
    (events) => s.offer(events),
    (e) => s.cut('Gone', `the watch from revision ${replay.revision} stopped (${errMsg(e)}); list again and watch from the new resourceVersion`),
  );
  return s;
}
