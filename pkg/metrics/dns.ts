/**
 * The DNS server's metrics (`stowage server --dns-listen`). Defined here,
 * registered by the server only when DNS is on, in whichever registry the
 * server serves at /metrics.
 */
import { Counter, type Registry } from 'prom-client';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

export const dnsQueries = new Counter({
  name: 'stowage_dns_queries_total',
  help: 'DNS messages answered by transport (udp, tcp) and response code; "dropped" were not answered (under 12 bytes, or not a query).',
  labelNames: ['transport', 'rcode'] as const,
  registers: [],
});

let registered = false;
export function registerDnsMetrics(registry: Registry): void {
  if (registered) return;
  registered = true;
  registry.registerMetric(dnsQueries);
  for (const transport of ['udp', 'tcp']) for (const rcode of [...RCODES, 'dropped']) dnsQueries.inc({ transport, rcode }, 0);
}

/** Count one answer (undefined: dropped) by the response code in its header. */
export function countDnsAnswer(transport: 'udp' | 'tcp', answer: Buffer | undefined): void {
  const rcode = answer === undefined ? 'dropped' : (RCODES[answer[3]! & 0xf] ?? 'other');
  dnsQueries.inc({ transport, rcode });
}
