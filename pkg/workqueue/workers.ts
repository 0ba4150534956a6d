/**
 * The one worker loop over a WorkQueue, for the loops and the agent alike:
 *
 *   queue.get() ──► handle(key) ─┬─ resolved ─► backoff forgotten; {requeueAfter: ms} adds it again after ms
 *        ▲                       └─ threw ────► onError(key, e): true (default) retry with the key's backoff,
 *        │                                                        false drop it (a Fenced write, say)
 *        └──────────────────────── queue.done(key) ◄─┘
 *
 * The queue hands a key to one worker at a time, so handle() never runs
 * twice at once for one key. What surrounds each key (metrics, logs, error
 * classification) is the caller's handle and onError. Resolves once the
 * queue is shut down and every worker has finished its key.
 */
import type { WorkQueue } from './queue.js';

export interface WorkerOptions {
  /** Keys handled at once. */
  workers: number;
  handle(key: string): Promise<{ requeueAfter?: number } | void>;
  /** A key's handle threw: retry it with backoff (true, the default) or drop it (false). Called before the retry is queued. */
  onError?(key: string, err: unknown): boolean;
}

export function runWorkers(queue: WorkQueue, o: WorkerOptions): Promise<void> {
  return Promise.all(Array.from({ length: o.workers }, () => worker(queue, o))).then(() => undefined);
}

async function worker(queue: WorkQueue, o: WorkerOptions): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      const r = await o.handle(key);
      queue.forget(key);
      if (r?.requeueAfter !== undefined) queue.addAfter(key, r.requeueAfter);
    } catch (e) {
      if (shouldRetry(o, key, e)) queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}

/** onError's answer; an onError that throws itself keeps the key (and the worker). */
function shouldRetry(o: WorkerOptions, key: string, e: unknown): boolean {
  try {
    return o.onError?.(key, e) ?? true;
  } catch {
    return true;
  }
}
