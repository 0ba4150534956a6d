/**
 * Per-user limits (`--rate-limit`, `--rate-limit-burst`, `--max-watches`):
 * a token bucket of requests and a count of open watch streams. Over either,
 * the request is answered 429 with Retry-After and a message naming the limit.
 * Users are the tokens file's, so the maps stay as small as that file.
 */
import { TooManyRequestsError } from '../api/errors.js';

export interface Limits {
  /** Requests a second per user, refilled continuously; 0 = no limit. */
  rps: number;
  /** Requests a user may make at once after a quiet spell. */
  burst: number;
  /** Watch streams a user may hold open at once; 0 = no limit. */
  maxWatches: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly watches = new Map<string, number>();

  constructor(
    readonly limits: Limits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Take one request from user's bucket; throws 429 when it is empty. */
  admit(user: string): void {
    const { rps, burst } = this.limits;
    if (rps <= 0) return;
    const t = this.now();
    const b = this.buckets.get(user) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rps);
    b.at = t;
    this.buckets.set(user, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const wait = Math.max(1, Math.ceil((1 - b.tokens) / rps));
    throw new TooManyRequestsError(`user ${user} is over the request rate limit (--rate-limit ${rps} per second, burst ${burst}); retry after ${wait} s`, wait);
  }

  /** A watch stream opens; throws 429 over the cap. Returns its release (call once, when it ends). */
  watchStarted(user: string): () => void {
    const max = this.limits.maxWatches;
    const n = this.watches.get(user) ?? 0;
    if (max > 0 && n >= max) {
      throw new TooManyRequestsError(`user ${user} has ${n} watch streams open, the most allowed (--max-watches ${max}); close one, or retry after 5 s`, 5);
    }
    this.watches.set(user, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.watches.get(user) ?? 1) - 1;
      if (left <= 0) this.watches.delete(user);
      else this.watches.set(user, left);
    };
  }
}
