/**
 * Watch as Server-Sent Events:
 *
 *   GET /api/v1/<kind>?watch=1[&resourceVersion=R][&namespace=NS][&labelSelector=SEL]
 *
 *   no R:  one ADDED per current object, then every change
 *   R:     the state at R is the starting point; only changes after R are sent
 *          (Last-Event-ID works the same, so EventSource clients resume)
 *
 * Each event: `event: ADDED|MODIFIED|DELETED`, `id: <etcd revision>` (of
 * the change; for the initial ADDED, of the list), `data: <object>`. A
 * private informer per stream joins spec and status, in revision order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import { isRevision } from '../api/revision.js';
import { matches, type Selector } from '../api/labels.js';
import type { AnyResource } from '../api/types.js';
import { Informer, type InformerEvent } from '../informer/informer.js';
import type { Logger } from '../log/logger.js';
import * as metrics from '../metrics/metrics.js';
import { unavailable } from '../store/errors.js';
import { ROOT } from '../store/keys.js';
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
  if (rv !== undefined && !isRevision(rv)) {
    throw new ApiError('BadRequest', `resourceVersion must be a decimal etcd revision; got "${rv}"`, [{ field: 'resourceVersion', rule: 'integer', message: 'not a revision' }]);
  }
  // The starting point: R, or now. Reading "now" also answers 503 at once
  // when etcd is down, instead of a stream that never starts.
  const head = await headRevision(store);
  const from = rv ?? head;
  // ordered: a resumed stream replays history, and its ids must only go up
  const inf = new Informer<AnyResource>(store, p.kind, log, from, true);
  const wanted = (o: AnyResource) =>
    (!p.kind.namespaced || p.namespace === undefined || o.metadata.namespace === p.namespace) && (!p.selector || matches(p.selector, o.metadata.labels));

  const buffered: [InformerEvent<AnyResource>, string][] = [];
  let started = false;
  const send = (e: InformerEvent<AnyResource>, id: string) => {
    const o = e.stored.object;
    if (!wanted(o)) return;
    res.write(`event: ${e.type}\nid: ${id}\ndata: ${JSON.stringify(o)}\n\n`);
  };
  const off = inf.onChange((e) => {
    // The informer's list at `from` is the starting point: news only without R.
    // Everything else is a change after it, possibly arriving before start() returns.
    const initial = BigInt(e.revision) <= BigInt(from);
    if (initial && rv !== undefined) return;
    const id = initial ? from : e.revision;
    if (started) send(e, id);
    else buffered.push([e, id]);
  });
  let gone = false;
  const closed = new Promise<void>((resolve) => {
    const done = () => {
      gone = true;
      resolve();
    };
    req.once('close', done);
    res.once('close', done);
    // a client that left while etcd was read has had its 'close' already: the stream would never end
    if (res.destroyed) done();
  });
  try {
    // throws Gone when R was compacted away; retries while etcd is unreachable
    await Promise.race([inf.start(), closed]);
  } catch (e) {
    off();
    await inf.stop();
    throw e;
  }
  if (gone) {
    // the client left while we waited for etcd
    off();
    await inf.stop();
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`: watching ${p.kind.plural} from revision ${from}\n\n`);
  started = true;
  for (const [e, id] of buffered.splice(0)) send(e, id);
  metrics.watchStreams.inc();
  const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
  await closed;
  clearInterval(ping);
  off();
  metrics.watchStreams.dec();
  await inf.stop();
}

async function headRevision(store: Store): Promise<string> {
  try {
    return String((await store.client.get(`${ROOT}/`).exec()).header.revision);
  } catch (e) {
    throw unavailable(e);
  }
}
