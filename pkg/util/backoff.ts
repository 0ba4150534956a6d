/**
 * The one retry policy of every process: exponential backoff with full
 * jitter (cockatiel), so many clients failing together (an etcd restart,
 * a quorum back) do not come back together.
 *
 *   wait n = uniform [0, min(maxMs, initialMs x 2^n))
 *
 * `Backoff` is one retrying thing's state (reset on success); `retry` runs
 * an async function until it succeeds or the caller stops.
 */
import { ExponentialBackoff, fullJitterGenerator, type IBackoff } from 'cockatiel';

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 100, maxMs: 2000 };

export class Backoff {
  private readonly factory: ExponentialBackoff<number>;
  private cur: IBackoff<unknown> | undefined;
  private n = 0;

  constructor(opts: BackoffOptions = {}) {
    const o = { ...DEFAULT_BACKOFF, ...opts };
    this.factory = new ExponentialBackoff({ generator: fullJitterGenerator, initialDelay: o.initialMs, maxDelay: o.maxMs });
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.n;
  }

  /** The wait before the next attempt (ms). */
  next(): number {
    this.cur = this.cur ? this.cur.next(undefined) : this.factory.next();
    this.n++;
    return this.cur.duration;
  }

  reset(): void {
    this.cur = undefined;
    this.n = 0;
  }
}

export interface RetryOptions extends BackoffOptions {
  /** Checked before each attempt: true ends the retries (resolves undefined). */
  stopped?: () => boolean;
  /** Told about each failure and the wait before the next attempt. */
  onError?: (e: unknown, retryInMs: number, attempt: number) => void;
}

/** Run f until it resolves (its value) or `stopped()` says to give up (undefined). */
export async function retry<T>(f: () => Promise<T>, o: RetryOptions = {}): Promise<T | undefined> {
  const b = new Backoff(o);
  while (!o.stopped?.()) {
    try {
      return await f();
    } catch (e) {
      const ms = b.next();
      o.onError?.(e, ms, b.attempts);
      await new Promise((r) => setTimeout(r, ms));
    }
  }
  return undefined;
}

/** One full-jitter delay for the n-th failure (n from 0), for per-key state kept elsewhere. */
export function jitteredDelay(n: number, opts: BackoffOptions = {}): number {
  const o = { ...DEFAULT_BACKOFF, ...opts };
  return fullJitterGenerator(n, { generator: fullJitterGenerator, initialDelay: o.initialMs, maxDelay: o.maxMs, exponent: 2 })[0];
}
