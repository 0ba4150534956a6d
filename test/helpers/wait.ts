/** Polling for tests: wait until a condition holds, or fail saying what was awaited. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll f until it returns something truthy (a thrown error counts as "not
 * yet"); resolves with that value. Fails after timeoutMs naming `what` and
 * the last error seen.
 */
export async function until<T>(what: string, f: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** Retry f until it succeeds (e.g. the first writes after an etcd restart). */
export async function retry<R>(f: () => Promise<R>, timeoutMs = 10_000): Promise<R> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > end) throw e;
      await sleep(100);
    }
  }
}

/** Run sample() every everyMs (after each one ends) until stop(), which resolves once the last one is done. */
export function sampleEvery(everyMs: number, sample: () => Promise<void>): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await sample();
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
