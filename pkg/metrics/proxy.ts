/**
 * The metrics of `stowage proxy`, in a registry of their own (the proxy is a
 * process of its own and serves only these). Names pass `promtool check
 * metrics`. Per service port the labels are namespace, service and port (the
 * port's name); the proxy's service port is in the logs, not in a label.
 *
 * Bytes are not counted on the data path: each open connection's socket
 * counters are read when Prometheus scrapes (and once more when the
 * connection ends), so forwarding costs nothing extra.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const proxyRegistry = new Registry();

const PORT_LABELS = ['namespace', 'service', 'port'] as const;
export type PortLabels = Record<(typeof PORT_LABELS)[number], string>;

/** Why a connection (or a listener) failed; each starts at 0 for a new listener. */
export const PROXY_ERROR_REASONS = [
  'no_endpoints', // a client came while the port had no ready instance
  'refused', // an instance refused the connection (the next one was tried)
  'connect_failed', // an instance did not answer in time, or another connect error (the next one was tried)
  'exhausted', // every ready instance failed: the client's connection was closed
  'reset', // a forwarded connection ended with an error on either side
  'bind', // the service port could not be listened on (retried)
] as const;
export type ProxyErrorReason = (typeof PROXY_ERROR_REASONS)[number];

const flushers = new Set<() => void>();
/** Called before every scrape: move the bytes of open connections into the counters. */
export function onProxyScrape(flush: () => void): () => void {
  flushers.add(flush);
  return () => flushers.delete(flush);
}
const flushAll = () => {
  for (const f of flushers) f();
};

export const proxyConnections = new Counter({
  name: 'stowage_proxy_connections_total',
  help: 'Client connections accepted on a service port.',
  labelNames: PORT_LABELS,
  registers: [proxyRegistry],
});
export const proxyActiveConnections = new Gauge({
  name: 'stowage_proxy_active_connections',
  help: 'Client connections open now on a service port (connecting or forwarding).',
  labelNames: PORT_LABELS,
  registers: [proxyRegistry],
});
export const proxyReceivedBytes = new Counter({
  name: 'stowage_proxy_received_bytes_total',
  help: 'Bytes read from clients of a service port and forwarded to its instances.',
  labelNames: PORT_LABELS,
  registers: [proxyRegistry],
  collect: flushAll,
});
export const proxySentBytes = new Counter({
  name: 'stowage_proxy_sent_bytes_total',
  help: 'Bytes read from the instances of a service port and sent back to its clients.',
  labelNames: PORT_LABELS,
  registers: [proxyRegistry],
  collect: flushAll,
});
export const proxyErrors = new Counter({
  name: 'stowage_proxy_errors_total',
  help: 'Failures on a service port by reason: no_endpoints, refused, connect_failed, exhausted, reset, bind.',
  labelNames: [...PORT_LABELS, 'reason'] as const,
  registers: [proxyRegistry],
});
export const proxyListeners = new Gauge({
  name: 'stowage_proxy_listeners',
  help: 'Service ports by state: listening, or waiting to bind (the port is taken; retried).',
  labelNames: ['state'] as const,
  registers: [proxyRegistry],
});
export const proxyEndpointsSynced = new Gauge({
  name: 'stowage_proxy_endpoints_synced',
  help: '1 once the proxy has loaded the endpoints list from the server, else 0.',
  registers: [proxyRegistry],
});
export const proxyWatchReconnects = new Counter({
  name: 'stowage_proxy_watch_reconnects_total',
  help: 'Endpoints watch connections that failed or ended, each followed by a new attempt after a jittered backoff.',
  registers: [proxyRegistry],
});
export const proxyWatchBadEvents = new Counter({
  name: 'stowage_proxy_watch_bad_events_total',
  help: 'Watch events or list items ignored because they were not valid Endpoints.',
  registers: [proxyRegistry],
});

for (const state of ['listening', 'waiting']) proxyListeners.set({ state }, 0);
proxyEndpointsSynced.set(0);
proxyWatchReconnects.inc(0);
proxyWatchBadEvents.inc(0);

const holders = new Map<string, number>();
const seriesKey = (l: PortLabels) => `${l.namespace}/${l.service}/${l.port}`;

/**
 * A listener takes its series when it opens (zeroed, so an alert's increase()
 * sees the first failure) and lets go of them once it is closed and its last
 * connection ended; the series go when no listener holds them (a port
 * renumbered is two listeners with the same labels for a while).
 */
export function holdPortSeries(l: PortLabels): void {
  const k = seriesKey(l);
  const n = holders.get(k) ?? 0;
  holders.set(k, n + 1);
  if (n > 0) return;
  proxyConnections.inc(l, 0);
  proxyActiveConnections.set(l, 0);
  proxyReceivedBytes.inc(l, 0);
  proxySentBytes.inc(l, 0);
  for (const reason of PROXY_ERROR_REASONS) proxyErrors.inc({ ...l, reason }, 0);
}

export function releasePortSeries(l: PortLabels): void {
  const k = seriesKey(l);
  const n = (holders.get(k) ?? 0) - 1;
  if (n > 0) {
    holders.set(k, n);
    return;
  }
  holders.delete(k);
  proxyConnections.remove(l);
  proxyActiveConnections.remove(l);
  proxyReceivedBytes.remove(l);
  proxySentBytes.remove(l);
  for (const reason of PROXY_ERROR_REASONS) proxyErrors.remove({ ...l, reason });
}

// gauges named like counters, which promtool flags
const FLAGGED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
let defaultsOn = false;

/** prom-client's process and Node.js metrics in the proxy's registry. */
export function collectProxyDefaults(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: proxyRegistry });
  for (const name of FLAGGED) proxyRegistry.removeSingleMetric(name);
}
