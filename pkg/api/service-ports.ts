/**
 * Service ports (Marathon's servicePort), pure: the cluster range, and the
 * plan of which ports a write of some Services claims, takes over and
 * releases. The store turns a plan into etcd operations on one key per port
 * (/stowage/serviceports/<port>, naming its holder), in the same transaction
 * as the services' specs, so a port has at most one holder whatever races.
 *
 *   want.ports[].servicePort ──► 0 and the stored spec had one by that name ──► kept
 *                           ├──► 0 otherwise ──► the lowest free port of the range
 *                           └──► N ──► held by nobody ─► claim (create-if-absent)
 *                                   ├─ held by this service already ─► nothing to do
 *                                   ├─ held by a service this write gives it up ─► take over
 *                                   │   (compare the key's revision; both in one transaction)
 *                                   ├─ held by someone else ─► 409, naming the holder
 *                                   └─ outside the range (and not held already) ─► 422
 *   cur ports the want drops ──► released (deleted), unless another item takes them over
 *
 * The stored spec keeps the assigned number, so re-applying `servicePort: 0`
 * changes nothing (the same template, no rollout) and `get -o yaml` applies back.
 */
import { ApiError, type ErrorDetail } from './errors.js';
import type { PortRange, PortSpec } from './types.js';

export const DEFAULT_SERVICE_PORT_RANGE: Readonly<PortRange> = { begin: 10000, end: 10999 };

/** `--service-port-range 10000-10999`. */
export function parseServicePortRange(flag: string, v: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(v.trim());
  const begin = m ? Number(m[1]) : NaN;
  const end = m ? Number(m[2]) : NaN;
  if (!m || begin < 1 || end > 65535 || begin > end) throw new RangeError(`${flag}: "${v}" must be BEGIN-END, ports from 1 to 65535 with BEGIN <= END (e.g. 10000-10999)`);
  return { begin, end };
}

export const formatRange = (r: PortRange): string => `${r.begin}-${r.end}`;

/** Who holds a service port: the value of its claim key. */
export interface PortHolder {
  namespace: string;
  name: string;
  /** The port's name in that service. */
  port: string;
}

export interface Claim {
  holder: PortHolder;
  /** The claim key's mod revision (to take it over with a compare). */
  rev: string;
}

export const holderText = (h: PortHolder): string => `service ${h.namespace}/${h.name} (port "${h.port}")`;

/** servicePort -> port name, for the ports of a spec that have one (0 = not assigned yet: left out). */
export function servicePortsOf(spec: { ports?: readonly PortSpec[] } | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const p of spec?.ports ?? []) if (typeof p.servicePort === 'number' && p.servicePort > 0) out.set(p.servicePort, p.name);
  return out;
}

/** One service of a write: the spec wanted (undefined: deleted) and the one stored (undefined: new). */
export interface PortItem<S extends { ports?: PortSpec[] }> {
  namespace: string;
  name: string;
  want: S | undefined;
  cur: S | undefined;
  /** How messages name it: `Service "web"`, or `document 2 (Service "web")` in a batch. */
  where: string;
}

/** What one item's transaction does to claim keys. */
export interface PortOps {
  /** Ports nobody holds: create-if-absent. */
  claim: { port: number; holder: PortHolder }[];
  /** Ports held by an item of this write that gives them up: compare the revision, then put. */
  take: { port: number; holder: PortHolder; rev: string }[];
  /** Ports given up that nobody in this write takes: delete. */
  release: number[];
}

export interface PortPlan<S> {
  /** The wanted specs with every 0 resolved (a fresh copy when anything changed). */
  specs: (S | undefined)[];
  ops: PortOps[];
  /** Items that must share a transaction (a port moving from one to another), each group sorted. */
  groups: number[][];
}

export interface PlanOptions {
  range: PortRange;
  /** Every claim in the cluster, by port. */
  claims: ReadonlyMap<number, Claim>;
}

const field = (i: number) => `spec.ports[${i}].servicePort`;

/**
 * Plan the service ports of a write of several services (one apply, or a
 * single create, update or delete). Throws ApiError Invalid (422) for a
 * new port outside the range or a range with no free port left, and
 * AlreadyExists (409) for a port someone else holds, each naming the field.
 */
export function planServicePorts<S extends { ports?: PortSpec[] }>(items: readonly PortItem<S>[], o: PlanOptions): PortPlan<S> {
  const specs: (S | undefined)[] = items.map((it) => resolveKept(it.want, it.cur));
  const invalid: ErrorDetail[] = [];
  const taken: ErrorDetail[] = [];
  const ops: PortOps[] = items.map(() => ({ claim: [], take: [], release: [] }));
  const byName = new Map(items.map((it, i) => [`${it.namespace}/${it.name}`, i]));
  /** Port -> the item (and port name) that wants it after this write. */
  const wanted = new Map<number, { i: number; port: string }>();
  const curPorts = items.map((it) => servicePortsOf(it.cur));

  // 1. explicit numbers: the range, other holders, other items of this write
  specs.forEach((spec, i) => {
    const it = items[i]!;
    (spec?.ports ?? []).forEach((p, j) => {
      const n = p.servicePort;
      if (typeof n !== 'number' || n === 0) return;
      const report = (d: Omit<ErrorDetail, 'field'>, to: ErrorDetail[]) => to.push({ field: field(j), ...d, message: `${it.where}: ${field(j)}: ${d.message}` });
      const first = wanted.get(n);
      if (first && first.i !== i) {
        report({ rule: 'taken', message: `service port ${n} is also wanted by ${items[first.i]!.where} in this write` }, taken);
        return;
      }
      wanted.set(n, { i, port: p.name });
      if (curPorts[i]!.has(n)) return; // held already: no range check (the range may have changed since)
      if (n < o.range.begin || n > o.range.end) {
        report({ rule: 'range', message: `service port ${n} is outside the cluster's service port range ${formatRange(o.range)} (stowage server --service-port-range); use one inside it, or 0 to get one assigned` }, invalid);
        return;
      }
      const c = o.claims.get(n);
      if (!c) return;
      const h = c.holder;
      const j2 = byName.get(`${h.namespace}/${h.name}`);
      // held by another item of this write: fine only if that item gives it up (checked below)
      if (j2 !== undefined) return;
      report({ rule: 'taken', message: `service port ${n} is taken by ${holderText(h)}` }, taken);
    });
  });
  // held by another item of this write that keeps it
  for (const [n, w] of wanted) {
    const c = o.claims.get(n);
    if (!c || curPorts[w.i]!.has(n)) continue;
    const j = byName.get(`${c.holder.namespace}/${c.holder.name}`);
    if (j === undefined || j === w.i) continue;
    const keeps = servicePortsOf(specs[j]).has(n);
    if (keeps) {
      const it = items[w.i]!;
      const k = (specs[w.i]?.ports ?? []).findIndex((p) => p.servicePort === n);
      taken.push({ field: field(k), rule: 'taken', message: `${it.where}: ${field(k)}: service port ${n} is taken by ${holderText(c.holder)}` });
    }
  }
  if (invalid.length > 0) throw new ApiError('Invalid', invalid.map((d) => d.message).join('; '), invalid);
  if (taken.length > 0) throw new ApiError('AlreadyExists', taken.map((d) => d.message).join('; '), taken);

  // 2. zeros: the lowest free ports of the range (not held, not wanted, not being given up)
  const busy = new Set<number>([...o.claims.keys(), ...wanted.keys(), ...curPorts.flatMap((m) => [...m.keys()])]);
  let next = o.range.begin;
  specs.forEach((spec, i) => {
    if (!spec?.ports?.some((p) => p.servicePort === 0)) return;
    const ports = spec.ports.map((p) => ({ ...p }));
    ports.forEach((p, j) => {
      if (p.servicePort !== 0) return;
      while (next <= o.range.end && busy.has(next)) next++;
      if (next > o.range.end) {
        invalid.push({ field: field(j), rule: 'range', message: `${items[i]!.where}: ${field(j)}: no free service port left in the range ${formatRange(o.range)} (stowage server --service-port-range)` });
        return;
      }
      p.servicePort = next;
      busy.add(next);
      wanted.set(next, { i, port: p.name });
    });
    specs[i] = { ...spec, ports };
  });
  if (invalid.length > 0) throw new ApiError('Invalid', invalid.map((d) => d.message).join('; '), invalid);

  // 3. the operations, and which items must commit together
  const parent = items.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const moved = new Set<number>();
  for (const [n, w] of wanted) {
    if (curPorts[w.i]!.has(n)) continue;
    const holder: PortHolder = { namespace: items[w.i]!.namespace, name: items[w.i]!.name, port: w.port };
    const c = o.claims.get(n);
    if (!c) {
      ops[w.i]!.claim.push({ port: n, holder });
      continue;
    }
    ops[w.i]!.take.push({ port: n, holder, rev: c.rev });
    const j = byName.get(`${c.holder.namespace}/${c.holder.name}`);
    if (j !== undefined && j !== w.i) {
      moved.add(n);
      parent[find(j)] = find(w.i);
    }
  }
  const written = new Set(ops.flatMap((x) => [...x.claim, ...x.take].map((c) => c.port)));
  items.forEach((_, i) => {
    const keep = servicePortsOf(specs[i]);
    for (const n of curPorts[i]!.keys()) if (!keep.has(n) && !moved.has(n) && !written.has(n)) ops[i]!.release.push(n);
  });
  const byRoot = new Map<number, number[]>();
  items.forEach((_, i) => {
    const r = find(i);
    byRoot.set(r, [...(byRoot.get(r) ?? []), i]);
  });
  return { specs, ops, groups: [...byRoot.values()] };
}

/** `servicePort: 0` on a port the stored spec assigned a number to (by port name) keeps that number. */
function resolveKept<S extends { ports?: PortSpec[] }>(want: S | undefined, cur: S | undefined): S | undefined {
  if (!want?.ports?.some((p) => p.servicePort === 0)) return want;
  const assigned = new Map<string, number>();
  for (const p of cur?.ports ?? []) if (p.servicePort) assigned.set(p.name, p.servicePort);
  const explicit = new Set(want.ports.map((p) => p.servicePort).filter((n) => n));
  const ports = want.ports.map((p) => {
    const n = p.servicePort === 0 ? assigned.get(p.name) : undefined;
    return n !== undefined && !explicit.has(n) ? { ...p, servicePort: n } : p;
  });
  return { ...want, ports };
}
