/**
 * From the endpoints the proxy knows to the listeners it should have: pure.
 *
 *   Endpoints (per service) ──desiredPorts──► one target per service port
 *                                                  │
 *   listeners open now ─────────────diffListeners──┴──► open / close / update
 *
 * A listener belongs to one (namespace, service, port name) on one service
 * port. When the owner of a service port changes (a port renumbered, a
 * service deleted and another given its port) the old listener is closed and
 * a new one opened, so its metrics and connections are never mixed up. The
 * server keeps service ports unique; should two services still claim one
 * port, the first by namespace/name keeps it and the others are reported.
 */
import type { EndpointAddress, Endpoints } from '../api/types.js';

export interface PortTarget {
  /** `namespace/service/port`: who owns the listener. */
  owner: string;
  namespace: string;
  service: string;
  port: string;
  servicePort: number;
  /** Ready instances, in the order the server gave them. */
  addresses: EndpointAddress[];
}

export interface Conflict {
  servicePort: number;
  kept: string;
  refused: string;
}

export interface Plan {
  ports: Map<number, PortTarget>;
  conflicts: Conflict[];
}

/** The target of every service port in `endpoints`. */
export function desiredPorts(endpoints: Iterable<Endpoints>): Plan {
  const sorted = [...endpoints].sort((a, b) => cmp(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`));
  const ports = new Map<number, PortTarget>();
  const conflicts: Conflict[] = [];
  for (const e of sorted) {
    for (const p of e.ports) {
      if (!p.servicePort) continue;
      const t: PortTarget = {
        owner: `${e.metadata.namespace}/${e.metadata.name}/${p.name}`,
        namespace: e.metadata.namespace,
        service: e.metadata.name,
        port: p.name,
        servicePort: p.servicePort,
        addresses: p.addresses,
      };
      const held = ports.get(p.servicePort);
      if (held) conflicts.push({ servicePort: p.servicePort, kept: held.owner, refused: t.owner });
      else ports.set(p.servicePort, t);
    }
  }
  return { ports, conflicts };
}

/** What a listener open now is serving. */
export interface OpenListener {
  owner: string;
  addresses: readonly EndpointAddress[];
}

export interface ListenerChanges {
  /** Service ports to stop listening on (their open connections go on). */
  close: number[];
  /** New listeners. */
  open: PortTarget[];
  /** Listeners kept whose ready instances changed. */
  update: PortTarget[];
}

export function diffListeners(current: ReadonlyMap<number, OpenListener>, desired: ReadonlyMap<number, PortTarget>): ListenerChanges {
  const out: ListenerChanges = { close: [], open: [], update: [] };
  for (const [port, l] of current) {
    const want = desired.get(port);
    if (!want || want.owner !== l.owner) out.close.push(port);
  }
  for (const [port, want] of desired) {
    const l = current.get(port);
    if (!l || l.owner !== want.owner) out.open.push(want);
    else if (!sameAddresses(l.addresses, want.addresses)) out.update.push(want);
  }
  return out;
}

export const addressKey = (a: { host: string; port: number }): string => `${a.host}:${a.port}`;

export function sameAddresses(a: readonly EndpointAddress[], b: readonly EndpointAddress[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.host !== y.host || x.port !== y.port || x.task !== y.task || x.node !== y.node) return false;
  }
  return true;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
