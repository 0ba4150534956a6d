/**
 * The sending side of one watch stream, paced by its client:
 *
 *   sendList / sendHistory ──► paced part ──┐  parts are written in order, as
 *                                           ├─► the socket takes them ('drain'),
 *   offer(events) ─► filter ─► queued part ─┘  in chunks that end between revisions
 *                                  │
 *                                  └─ queued bytes over the limit ──► `event: ERROR`
 *                                     {code: TooSlow}, end of the stream
 *
 * Frames are the shared buffers of the watch cache: queueing one costs a
 * reference. What a client has not taken waits in the stream's parts (the
 * socket gets a chunk at a time), so a client that stops reading costs at most
 * `maxQueuedBytes`, then is cut off. Written data always ends between two
 * revisions, so a client that resumes from the id of the last event it got
 * misses nothing; a cut in the middle of the initial list (whose events all
 * carry the list's revision) resets the client's Last-Event-ID (`id:` empty)
 * so that it starts over with a fresh list.
 */
import type { ServerResponse } from 'node:http';
import * as metrics from '../metrics/metrics.js';
import type { Want, WatchEvent } from './watch-join.js';

/** Bytes handed to the socket in one write (a view's copy per stream lives only as long as that write). */
const CHUNK = 64 * 1024;
/** How long a cut-off client may take to read what was already written before its connection is dropped. */
const CUT_GRACE_MS = 30_000;
const SEP = Buffer.from('\n\n');

export interface StreamOptions {
  /** The most bytes of events that may wait for a client; past it the stream is cut off. */
  maxQueuedBytes: number;
  want: Want;
  /** Changes at or before this revision are already in what the stream sends first. */
  after: bigint;
}

/**
 * What waits to be written, in order: a paced part (a list, or history
 * from the ring) yields chunks on demand and costs only references; a
 * queued part holds live events and counts toward the limit.
 */
type Part = Paced | Queued;

interface Paced {
  paced: true;
  next(): Buffer | undefined;
  /** A list whose events share one id is partly written. */
  readonly partList: boolean;
}

interface Queued {
  paced: false;
  events: WatchEvent[];
  /** The next event to write. */
  i: number;
}

export class WatchStream {
  private parts: Part[] = [];
  private queuedBytes = 0;
  private paused = false;
  private ended = false;
  private readonly onDrain = () => {
    this.paused = false;
    this.pump();
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly o: StreamOptions,
  ) {
    res.on('drain', this.onDrain);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Bytes of events waiting for the client. */
  get queued(): number {
    return this.queuedBytes;
  }

  /** Ignore live changes up to `rev` from now on (they were sent some other way). */
  raiseFloor(rev: bigint): void {
    if (rev > this.o.after) this.o.after = rev;
  }

  /**
   * One ADDED per object, all with the id of the list's revision; then `end`
   * (a whole event, such as the multi-kind watch's LISTED), if given.
   */
  sendList(revision: string, objects: Buffer[], end?: Buffer): void {
    const prefix = Buffer.from(`event: ADDED\nid: ${revision}\ndata: `);
    let i = 0;
    let ended = !end;
    this.parts.push({
      paced: true,
      get partList() {
        return i > 0 && i < objects.length;
      },
      next: () => {
        if (i >= objects.length) {
          if (ended) return undefined;
          ended = true;
          return end;
        }
        const parts: Buffer[] = [];
        let n = 0;
        while (i < objects.length && n < CHUNK) {
          const o = objects[i++]!;
          parts.push(prefix, o, SEP);
          n += prefix.length + o.length + SEP.length;
        }
        return Buffer.concat(parts, n);
      },
    });
    this.pump();
  }

  /** Events from the cache's memory, after whatever waits already (filtered here like live ones). */
  sendHistory(events: WatchEvent[]): void {
    const mine = events.filter((e) => this.o.want(e.namespace, e.labels, e.kind));
    let i = 0;
    this.parts.push({
      paced: true,
      partList: false,
      next: () => {
        if (i >= mine.length) return undefined;
        const [chunk, j] = take(mine, i);
        i = j;
        return chunk;
      },
    });
    this.pump();
  }

  /** Live changes, in revision order (`want` keeps the stream's kinds). */
  offer(events: readonly WatchEvent[]): void {
    if (this.ended) return;
    let q = this.parts.at(-1);
    if (!q || q.paced) this.parts.push((q = { paced: false, events: [], i: 0 }));
    let added = 0;
    for (const e of events) {
      if (e.rev <= this.o.after || !this.o.want(e.namespace, e.labels, e.kind)) continue;
      q.events.push(e);
      added += e.frame.length;
    }
    if (added === 0) return;
    this.queuedBytes += added;
    metrics.watchQueuedBytes.inc(added);
    this.pump();
    if (this.queuedBytes > this.o.maxQueuedBytes) {
      const max = this.o.maxQueuedBytes;
      metrics.watchCut.inc();
      this.cut('TooSlow', `the client read too slowly: more than ${max} bytes (${mib(max)}) of events waited for it; reconnect with Last-Event-ID to resume`);
    }
  }

  /** A keep-alive comment, unless data is waiting anyway. */
  ping(): void {
    if (!this.ended && !this.paused && this.parts.length === 0) this.res.write(': ping\n\n');
  }

  /** End the stream with a last `event: ERROR` saying why. */
  cut(code: string, message: string): void {
    if (this.ended) return;
    const resetId = this.parts.some((p) => p.paced && p.partList);
    this.close();
    const res = this.res;
    res.end(`event: ERROR\n${resetId ? 'id: \n' : ''}data: ${JSON.stringify({ code, message })}\n\n`);
    // a client that never reads again would hold the socket (and what it buffers) forever
    const t = setTimeout(() => res.destroy(), CUT_GRACE_MS);
    t.unref();
    res.once('close', () => clearTimeout(t));
  }

  /** Stop sending and let go of everything waiting. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.off('drain', this.onDrain);
    metrics.watchQueuedBytes.dec(this.queuedBytes);
    this.queuedBytes = 0;
    this.parts = [];
  }

  /** Write while the socket takes it: what the kernel accepts at once does not wait for 'drain'. */
  private pump(): void {
    while (!this.paused && !this.ended) {
      const p = this.parts[0];
      if (!p) return;
      let chunk: Buffer | undefined;
      if (p.paced) {
        chunk = p.next();
      } else if (p.i < p.events.length) {
        const [c, j] = take(p.events, p.i);
        p.i = j;
        chunk = c;
        this.queuedBytes -= c.length;
        metrics.watchQueuedBytes.dec(c.length);
        // let go of what was written in a long queue
        if (p.i > 4096 && p.i * 2 > p.events.length) {
          p.events = p.events.slice(p.i);
          p.i = 0;
        }
      }
      if (!chunk) {
        this.parts.shift();
        continue;
      }
      if (!this.res.write(chunk) && this.res.writableLength > 0) this.paused = true;
    }
  }
}

/** Frames from events[i] on, about CHUNK bytes, ending where the revision changes. */
function take(events: readonly WatchEvent[], i: number): [Buffer, number] {
  const first = events[i]!;
  if (i + 1 === events.length || (first.frame.length >= CHUNK && events[i + 1]!.rev !== first.rev)) return [first.frame, i + 1];
  const parts: Buffer[] = [];
  let n = 0;
  let j = i;
  while (j < events.length && (n < CHUNK || events[j]!.rev === events[j - 1]!.rev)) {
    const f = events[j++]!.frame;
    parts.push(f);
    n += f.length;
  }
  return [parts.length === 1 ? parts[0]! : Buffer.concat(parts, n), j];
}

const mib = (b: number) => (b >= 1 << 20 ? `${+(b / (1 << 20)).toFixed(1)} MiB` : `${+(b / 1024).toFixed(1)} KiB`);
