/**
 * The one concurrency limiter: at most n at once, the rest wait in order.
 *
 *   run(f)                  f once a slot is free; the slot is given back when f settles
 *   acquire()               a slot held across steps, given back by the release it
 *                           returns (the scheduler holds one from before a commit
 *                           starts until it ends)
 *   mapLimit(items, n, f)   f over items, n at once: the results in order
 *   forEachLimit            the same, for effects
 *
 * Why limit at all: the docker engine starts 50 containers sooner when they
 * come 8-16 at a time than all 50 at once (measured: median start 2.2-3.0 s
 * vs 3.7-4.7 s, the last one no later); etcd and the engine's API take a few
 * requests in flight better than thousands.
 */

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  /** n: slots (a positive integer, or Infinity for no limit). */
  constructor(readonly n: number) {
    if (!(n >= 1) || (!Number.isInteger(n) && n !== Infinity)) throw new RangeError(`a limiter needs at least 1 slot, a whole number or Infinity. Got: ${n}`);
  }

  /** Slots taken now. */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for a slot; call the returned release exactly once (a second call does nothing). */
  async acquire(): Promise<() => void> {
    if (this.active < this.n) this.active++;
    else await new Promise<void>((r) => this.waiting.push(r)); // the releaser hands its slot over
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(f: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await f();
    } finally {
      release();
    }
  }
}

/**
 * f over items, at most n at once, in order of the items; the results in
 * the items' order. After the first failure no further item is started; the
 * ones running are waited for, then the first error is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], n: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limiter = new Limiter(n);
  const out: R[] = new Array<R>(items.length);
  let failure: { error: unknown } | undefined;
  await Promise.all(
    items.map((item, i) =>
      limiter.run(async () => {
        if (failure) return;
        try {
          out[i] = await f(item, i);
        } catch (error) {
          failure ??= { error };
        }
      }),
    ),
  );
  if (failure) throw failure.error;
  return out;
}

/** mapLimit for effects. */
export async function forEachLimit<T>(items: readonly T[], n: number, f: (item: T, index: number) => Promise<void>): Promise<void> {
  await mapLimit(items, n, f);
}
