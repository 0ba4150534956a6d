/**
 * Watch a kind over the server's SSE stream (`GET /api/v1/<kind>?watch=1`)
 * as an async iterator of typed events.
 *
 *   connect ──> events ──> stream drops / goes idle ──> reconnect with
 *      ^                                                 Last-Event-ID
 *      └─────── `ERROR {code: Gone}` or HTTP 410: start afresh ──┘
 *
 * The first connection failing is an error for the caller; later drops are
 * retried with backoff (up to 5 s) until the caller stops iterating.
 */
import { ApiError, isApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import type { StowageClient } from './client.js';
import { listPath } from './kinds.js';
import { SseParser } from './sse.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: AnyResource;
  id?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  /** Start after this revision (a list's metadata.resourceVersion). */
  resourceVersion?: string;
  signal?: AbortSignal;
  /** Reconnect when nothing, not even a `: ping`, arrives for this long. */
  idleMs?: number;
  /** Told about each lost connection before the retry. */
  onReconnect?: (reason: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED']);
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Gone extends Error {}

export async function* watchKind(client: StowageClient, kind: KindInfo, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
  const sleep = opts.sleep ?? defaultSleep;
  const idleMs = opts.idleMs ?? 60_000;
  let resourceVersion = opts.resourceVersion;
  let lastId: string | undefined;
  let connectedOnce = false;
  let backoff = 250;
  while (!opts.signal?.aborted) {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ac.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
    };
    let reason = 'the stream ended';
    try {
      armIdle();
      const res = await client.open('GET', listPath(kind), {
        query: {
          watch: 1,
          namespace: opts.namespace,
          labelSelector: opts.labelSelector,
          resourceVersion: lastId ? undefined : resourceVersion,
        },
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: ac.signal,
      });
      connectedOnce = true;
      backoff = 250;
      if (!res.body) throw new Error('the watch answer has no body');
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        armIdle();
        for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (ev.event === 'ERROR') throw errorEvent(ev.data);
          if (!TYPES.has(ev.event)) continue;
          if (ev.id) lastId = ev.id;
          yield { type: ev.event as WatchEventType, object: JSON.parse(ev.data) as AnyResource, id: ev.id };
        }
      }
    } catch (e) {
      if (opts.signal?.aborted) return;
      // Gone comes as an `ERROR` event or, before the stream starts, as HTTP 410.
      if (e instanceof Gone || isApiError(e, 'Gone')) {
        // Too old to resume: start again from the current state.
        lastId = undefined;
        resourceVersion = undefined;
        opts.onReconnect?.('the watch fell behind etcd compaction; listing again');
        continue;
      }
      if (!connectedOnce) throw e;
      if (e instanceof ApiError && !e.retryable && e.code !== 'Internal') throw e;
      reason = ac.signal.aborted && ac.signal.reason instanceof Error ? ac.signal.reason.message : e instanceof Error ? e.message : String(e);
    } finally {
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      ac.abort();
    }
    if (opts.signal?.aborted) return;
    opts.onReconnect?.(reason);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, 5000);
  }
}

function errorEvent(data: string): Error {
  let j: { code?: string; message?: string } = {};
  try {
    j = JSON.parse(data) as typeof j;
  } catch {
    // keep the raw text below
  }
  if (j.code === 'Gone') return new Gone(j.message ?? 'Gone');
  return new ApiError('Internal', `watch: ${j.message ?? data}`);
}
