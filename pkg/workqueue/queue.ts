/**
 * The stingy keyed work queue every loop uses (client-go's workqueue):
 *
 *   add(key) ──► dirty ──► queue ──► get() ──► processing ──► done(key)
 *                  ▲                                │
 *                  └──── added again while processing: re-queued on done
 *
 * - a key is never processed by two workers at once;
 * - a key added many times while it waits is processed once;
 * - addAfter(key, ms) delays a key (timers, requeueAfter);
 * - addRateLimited(key) delays by per-key exponential backoff with full
 *   jitter (uniform in [0, min(maxMs, baseMs * 2^failures))); forget(key) resets it.
 * - onWait(seconds): how long each key waited in the queue before a worker
 *   took it (from when it was queued; a key added while it is processed is
 *   queued when the worker is done with it).
 * - oldestRetryAgeMs(now): how long the key failing longest has been
 *   failing. A key starts failing at its first addRateLimited after a
 *   success; it stops at forget(key), or when it is dropped: a worker is
 *   done with it without a retry pending (no timer, not re-added), so no
 *   retry is coming. Shutdown drops every key.
 *
 * The workers that drain it: workers.ts.
 */
import { jitteredDelay } from '../util/backoff.js';

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called with the depth whenever it changes (for a gauge). */
  onDepth?: (depth: number) => void;
  /** Called with how long a key waited in the queue (seconds) when a worker takes it (for a histogram). */
  onWait?: (seconds: number) => void;
  /** The clock that stamps when a key started failing or was queued (tests step it). */
  now?: () => number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  /**
   * Key -> when it started failing. Insertion order is failure order (a key
   * is inserted once, at its first failure, and deleted when it stops), so
   * the first entry is the oldest.
   */
  private readonly failingSince = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Key -> when it was queued (ms), while it waits; only with onWait. */
  private readonly queuedAt = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: QueueOptions = {}) {
    this.baseMs = opts.baseDelayMs ?? 5;
    this.maxMs = opts.maxDelayMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.opts.onWait?.(0);
      w(key);
      return;
    }
    this.queue.push(key);
    if (this.opts.onWait) this.queuedAt.set(key, this.now());
    this.opts.onDepth?.(this.length);
  }

  /** Add key after ms; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const cur = this.timers.get(key);
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    if (!this.failingSince.has(key)) this.failingSince.set(key, this.now());
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, jitteredDelay(n, { initialMs: this.baseMs, maxMs: this.maxMs }));
  }

  /** How many times key failed in a row. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
    this.failingSince.delete(key);
  }

  /** Every key waiting out a failure's backoff, now and with its backoff reset (etcd is back: no key waits out an outage's long delays). */
  retryFailingNow(): void {
    for (const key of [...this.failingSince.keys()]) {
      this.forget(key);
      this.add(key);
    }
  }

  /** Milliseconds since the longest-failing key started failing; 0 when none fails. */
  oldestRetryAgeMs(now: number): number {
    const since = this.failingSince.values().next();
    return since.done ? 0 : Math.max(0, now - since.value);
  }

  /** The next key to process; undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.length > 0) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      this.opts.onDepth?.(this.length);
      const at = this.queuedAt.get(key);
      if (at !== undefined) {
        this.queuedAt.delete(key);
        this.opts.onWait?.((this.now() - at) / 1000);
      }
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Mark key processed; if it was added meanwhile, queue it again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    } else if (!this.timers.has(key)) {
      // No retry pending: the worker dropped the key (e.g. a write fenced off), so it is no longer failing.
      this.failingSince.delete(key);
    }
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.failingSince.clear();
    this.queuedAt.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get isShutdown(): boolean {
    return this.shuttingDown;
  }
}
