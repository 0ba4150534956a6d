/**
 * The sending side of one watch stream, paced by its client:
 *
 *   initial (a list's ADDED, or history from the ring) ──┐   paced: written as
 *                                                        ├─► the socket drains
 *   offer(events) ──► filter ──► queue (bytes counted) ──┘   ('drain'), in chunks
 *                                     │                      that end between
 *                                     └─ over the limit ──►  revisions
 *                                        `event: ERROR` {code: TooSlow}, end
 *
 * Frames are the shared buffers of the watch cache: queueing one costs a
 * reference. What a client has not taken is held in `queue` only (the socket
 * gets a chunk at a time), so a client that stops reading costs at most
 * `maxQueuedBytes`, then is cut off. Written data always ends between two
 * revisions, so a client that resumes from the id of the last event it got
 * misses nothing; a cut in the middle of the initial list (whose events all
 * carry the list's revision) resets the client's Last-Event-ID (`id:` empty)
 * so that it starts over with a fresh list.
 */
import type { ServerResponse } from 'node:http';
import * as metrics from '../metrics/metrics.js';
import type { Labels, WatchEvent } from './watch-join.js';

/** Bytes handed to the socket in one write (a view's copy per stream lives only as long as that write). */
const CHUNK = 64 * 1024;
/** How long a cut-off client may take to read what was already written before its connection is dropped. */
const CUT_GRACE_MS = 30_000;
const SEP = Buffer.from('\n\n');

export interface StreamOptions {
  /** The most bytes of events that may wait for a client; past it the stream is cut off. */
  maxQueuedBytes: number;
  want: (namespace: string | undefined, labels: Labels) => boolean;
  /** Changes at or before this revision are already in what the stream sends first. */
  after: bigint;
}

/** Something sent before the live changes, a chunk at a time. */
interface Initial {
  next(): Buffer | undefined;
  /** A list whose events share one id is partly written. */
  readonly partList: boolean;
}

export class WatchStream {
  private initial: Initial[] = [];
  private queue: WatchEvent[] = [];
  private qi = 0;
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

  /** One ADDED per object, all with the id of the list's revision. */
  sendList(revision: string, objects: Buffer[]): void {
    const prefix = Buffer.from(`event: ADDED\nid: ${revision}\ndata: `);
    let i = 0;
    const list: Initial = {
      get partList() {
        return i > 0 && i < objects.length;
      },
      next: () => {
        if (i >= objects.length) return undefined;
        const parts: Buffer[] = [];
        let n = 0;
        while (i < objects.length && n < CHUNK) {
          const o = objects[i++]!;
          parts.push(prefix, o, SEP);
          n += prefix.length + o.length + SEP.length;
        }
        return Buffer.concat(parts, n);
      },
    };
    this.initial.push(list);
    this.pump();
  }

  /** Events from the cache's memory (already filtered by kind; this filters the rest). */
  sendHistory(events: WatchEvent[]): void {
    const mine = events.filter((e) => this.o.want(e.namespace, e.labels));
    let i = 0;
    this.initial.push({
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

  /** Live changes of the stream's kind, in revision order. */
  offer(events: readonly WatchEvent[]): void {
    if (this.ended) return;
    let added = 0;
    for (const e of events) {
      if (e.rev <= this.o.after || !this.o.want(e.namespace, e.labels)) continue;
      this.queue.push(e);
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
    if (!this.ended && !this.paused && this.initial.length === 0 && this.qi >= this.queue.length) this.res.write(': ping\n\n');
  }

  /** End the stream with a last `event: ERROR` saying why. */
  cut(code: string, message: string): void {
    if (this.ended) return;
    const resetId = this.initial.some((i) => i.partList);
    this.close();
    const res = this.res;
    res.end(`event: ERROR\n${resetId ? 'id: \n' : ''}data: ${JSON.stringify({ code, message })}\n\n`);
    // a client that never reads again would hold the socket (and what it buffers) forever
    const t = setTimeout(() => res.destroy(), CUT_GRACE_MS);
    t.unref();
    res.once('close', () => clearTimeout(t));
  }

  /** Stop sending and let go of everything queued. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.off('drain', this.onDrain);
    metrics.watchQueuedBytes.dec(this.queuedBytes);
    this.queuedBytes = 0;
    this.queue = [];
    this.qi = 0;
    this.initial = [];
  }

  /** Write while the socket takes it: what the kernel accepts at once does not wait for 'drain'. */
  private pump(): void {
    while (!this.paused && !this.ended) {
      let chunk: Buffer | undefined;
      if (this.initial.length > 0) {
        chunk = this.initial[0]!.next();
        if (!chunk) {
          this.initial.shift();
          continue;
        }
      } else if (this.qi < this.queue.length) {
        const from = this.qi;
        const [c, j] = take(this.queue, from);
        chunk = c;
        this.qi = j;
        const n = c.length;
        this.queuedBytes -= n;
        metrics.watchQueuedBytes.dec(n);
        if (this.qi === this.queue.length) {
          this.queue = [];
          this.qi = 0;
        } else if (this.qi > 4096 && this.qi * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.qi);
          this.qi = 0;
        }
      } else {
        return;
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
