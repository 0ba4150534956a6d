/**
 * The endpoints API, read from the server's view (view.ts):
 *
 *   GET /api/v1/services/<ns>/<name>/endpoints   one Endpoints (404: no such service)
 *   GET /api/v1/endpoints[?namespace=NS]         a List of every service with ports
 *   GET /api/v1/endpoints?watch=1[&namespace=NS] Server-Sent Events: one ADDED per service with
 *                                                ports, then ADDED / MODIFIED / DELETED as they change
 *
 * Endpoints are derived, never stored, so a watch does not resume: `id:`
 * counts the stream's batches, and a client that reconnects gets the whole
 * set again as ADDED. A client that reads too slowly is cut off as any
 * watch stream is (`event: ERROR` {code: TooSlow}).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.js';
import { API_VERSION } from '../../api/types.js';
import * as metrics from '../../metrics/metrics.js';
import { sendJson } from '../respond.js';
import { makeFrame, type WatchEvent } from '../watch-join.js';
import { WatchStream } from '../watch-stream.js';
import type { EndpointsView } from './view.js';

const PING_MS = 15_000;

export interface EndpointsSource {
  /** The view once its informers are synced; rejects (503) when it cannot be had. */
  view(): Promise<EndpointsView>;
  /** Bytes of events that may wait for one watch client. */
  maxQueuedBytes: number;
}

export async function serveServiceEndpoints(src: EndpointsSource, res: ServerResponse, namespace: string, name: string): Promise<void> {
  const e = (await src.view()).get(namespace, name);
  if (!e) throw new ApiError('NotFound', `service "${name}" not found in namespace "${namespace}"`);
  sendJson(res, 200, e);
}

/** visible: the namespaces the caller may see (undefined: all). */
export async function serveEndpointsList(src: EndpointsSource, res: ServerResponse, namespace: string | undefined, visible?: (ns: string) => boolean): Promise<void> {
  const items = (await src.view()).list(namespace).filter((e) => !visible || visible(e.metadata.namespace));
  sendJson(res, 200, { apiVersion: API_VERSION, kind: 'List', metadata: {}, items });
}

export async function serveEndpointsWatch(src: EndpointsSource, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, visible?: (ns: string) => boolean): Promise<void> {
  const view = await src.view();
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': watching endpoints\n\n');
  const mine = (ns: string | undefined) => (namespace === undefined || ns === namespace) && (!visible || (ns !== undefined && visible(ns)));
  const s = new WatchStream(res, { maxQueuedBytes: src.maxQueuedBytes, want: mine, after: 0n });
  let batch = 0n;
  // the list and the subscription in one turn: no change can fall between them
  s.sendList('0', view.list(namespace).filter((e) => mine(e.metadata.namespace)).map((e) => Buffer.from(JSON.stringify(e))));
  const unsubscribe = view.subscribe((events) => {
    batch++;
    const id = String(batch);
    s.offer(events.map((ev): WatchEvent => ({ type: ev.type, kind: 'endpoints', revision: id, rev: batch, namespace: ev.endpoints.metadata.namespace, labels: undefined, frame: makeFrame(ev.type, id, JSON.stringify(ev.endpoints)).frame })));
  });
  metrics.watchStreams.inc();
  const ping = setInterval(() => s.ping(), PING_MS);
  await new Promise<void>((resolve) => {
    res.once('close', resolve);
    if (res.destroyed) resolve();
  });
  clearInterval(ping);
  unsubscribe();
  s.close();
  metrics.watchStreams.dec();
}

/** How long a request waits for the view's first sync (etcd slow or down) before answering 503. */
const SYNC_WAIT_MS = 10_000;

/**
 * A source that starts the view once (the server does so at start, so it is
 * warm) and lets a request wait at most SYNC_WAIT_MS for it; a start that
 * failed is tried again by the next request.
 */
export function endpointsSource(start: () => Promise<EndpointsView>, maxQueuedBytes: () => number): EndpointsSource {
  let p: Promise<EndpointsView> | undefined;
  return {
    get maxQueuedBytes() {
      return maxQueuedBytes();
    },
    view() {
      p ??= start().catch((e) => {
        p = undefined;
        throw e;
      });
      let t: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new ApiError('Unavailable', `the endpoints view is not synced with etcd yet (waited ${SYNC_WAIT_MS / 1000} s); retry`)), SYNC_WAIT_MS);
        t.unref();
      });
      return Promise.race([p, late]).finally(() => clearTimeout(t));
    },
  };
}
