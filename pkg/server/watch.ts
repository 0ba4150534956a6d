/**
 * Watch as Server-Sent Events:
 *
 *   GET /api/v1/<kind>?watch=1[&resourceVersion=R][&namespace=NS][&labelSelector=SEL]
 *
 *   no R:  one ADDED per current object, then every change
 *   R:     the state at R is the starting point; only changes after R are sent
 *          (Last-Event-ID works the same, so EventSource clients resume)
 *
 * Each event: `event: ADDED|MODIFIED|DELETED`, `id: <etcd revision>`,
 * `data: <object>`. A private informer per stream joins spec and status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import { matches, type Selector } from '../api/labels.js';
import type { AnyResource } from '../api/types.js';
import { Informer, type InformerEvent } from '../informer/informer.js';
import type { Logger } from '../log/logger.js';
import * as metrics from '../metrics/metrics.js';
import type { Store } from '../store/store.js';

const PING_MS = 15_000;

export interface WatchParams {
  kind: KindInfo;
  namespace?: string;
  selector?: Selector;
  resourceVersion?: string;
}

export async function serveWatch(store: Store, log: Logger, req: IncomingMessage, res: ServerResponse, p: WatchParams): Promise<void> {
  const rv = p.resourceVersion ?? (req.headers['last-event-id'] as string | undefined);
  if (rv !== undefined && !/^\d+$/.test(rv)) {
    throw new ApiError('BadRequest', `resourceVersion must be a decimal etcd revision; got "${rv}"`, [{ field: 'resourceVersion', rule: 'integer', message: 'not a revision' }]);
  }
  const inf = new Informer<AnyResource>(store, p.kind, log, rv);
  const wanted = (o: AnyResource) =>
    (!p.kind.namespaced || p.namespace === undefined || o.metadata.namespace === p.namespace) && (!p.selector || matches(p.selector, o.metadata.labels));

  const buffered: InformerEvent<AnyResource>[] = [];
  let started = false;
  const send = (e: InformerEvent<AnyResource>) => {
    const o = e.stored.object;
    if (!wanted(o)) return;
    res.write(`event: ${e.type}\nid: ${e.revision}\ndata: ${JSON.stringify(o)}\n\n`);
  };
  // When resuming, the informer's initial list is the starting point, not news.
  const resume = rv !== undefined;
  const off = inf.onChange((e) => (started ? send(e) : resume ? undefined : buffered.push(e)));
  await inf.start(); // throws Gone when R was compacted away
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`: watching ${p.kind.plural} from revision ${inf.revision}\n\n`);
  started = true;
  for (const e of buffered.splice(0)) send(e);
  metrics.watchStreams.inc();
  const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    req.on('close', done);
    res.on('close', done);
  });
  clearInterval(ping);
  off();
  metrics.watchStreams.dec();
  await inf.stop();
}
