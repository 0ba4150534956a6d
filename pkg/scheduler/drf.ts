/**
 * The allocator: which pending task goes next, across tenants.
 *
 *   pending ─> per namespace, per owner, by priority then age
 *                 │
 *   heap of namespaces by dominant share / weight ── pop the lowest
 *                 │
 *   its heap of owners (services) by priority, then dominant share ── pop
 *                 │
 *   quota? ── no ─> waiting: QuotaExceeded (the namespace's next task still gets its turn)
 *                 │ yes
 *   place() ── no ─> waiting: "0/5 nodes fit: ..." (no head-of-line blocking)
 *                 │ yes
 *   assume on the snapshot, charge the namespace, push it back
 *
 * Weighted DRF (Ghodsi et al., as in Mesos): a namespace's dominant share
 * is its largest fraction of the cluster's cpus, mem or disk; divided by
 * its weight, the lowest goes first. Usage starts from what its tasks hold
 * in the snapshot. Namespaces without a Namespace object: weight 1, no quota.
 *
 * Inside a namespace the same rule runs one level down (hierarchical DRF):
 * among its owners the one holding the smallest dominant share goes next,
 * so one big service applied beside small ones cannot take the cluster
 * before they get their first instances. A higher-priority task still goes
 * first. An owner's share is its live task count times one task's share
 * (an owner's tasks share one template).
 */
import type { Namespace } from '../api/types.js';
import { toMilli } from './node-info.js';
import { compile } from './feasible.js';
import { placeCompiled } from './place.js';
import { shapeKey } from './request.js';
import type { ClusterSnapshot, Usage } from './snapshot.js';
import type { Failure, FailureReason, PlaceOptions, TaskRequest } from './types.js';

export interface ScheduleOptions extends PlaceOptions {
  /** Stop after this many placements (the runner commits in batches). */
  maxPlacements?: number;
}

export interface Placement {
  taskKey: string;
  node: string;
  ports: Record<string, number>;
}

export interface Waiting {
  taskKey: string;
  reason: FailureReason;
  /** For Task status.pendingReason. */
  summary: string;
  /** For Task status.pendingDetails. */
  counts: Record<string, number>;
}

export interface ScheduleResult {
  placements: Placement[];
  waiting: Waiting[];
  /** Not looked at this cycle (maxPlacements reached). */
  deferred: string[];
  /** Already hold resources in the snapshot (a placement in flight): left alone. */
  skipped: string[];
}

interface OwnerQueue {
  name: string;
  /** Its pending tasks, the next one on top (a heap: a cycle that stops after maxPlacements sorts no more than it takes). */
  queue: Heap<TaskRequest>;
  /** Live tasks of the owner, plus this cycle's placements. */
  count: number;
  /** The dominant share one of its tasks takes. */
  unit: number;
}

interface Tenant {
  name: string;
  weight: number;
  quota: Usage | undefined;
  usage: Usage;
  owners: Heap<OwnerQueue>;
  share: number;
}

/** An owner's tasks in order: priority, then age, then key. */
const requestLess = (a: TaskRequest, b: TaskRequest): boolean => {
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  if (pa !== pb) return pa > pb;
  const ca = a.created ?? 0;
  const cb = b.created ?? 0;
  if (ca !== cb) return ca < cb;
  return a.key < b.key;
};

const ownerLess = (x: OwnerQueue, y: OwnerQueue): boolean => {
  const a = x.queue.peek();
  const b = y.queue.peek();
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  if (pa !== pb) return pa > pb;
  const sa = x.count * x.unit;
  const sb = y.count * y.unit;
  if (sa !== sb) return sa < sb;
  const ca = a.created ?? 0;
  const cb = b.created ?? 0;
  if (ca !== cb) return ca < cb;
  return x.name < y.name;
};
const tenantLess = (x: Tenant, y: Tenant): boolean => x.share < y.share || (x.share === y.share && x.name < y.name);

/**
 * One scheduling cycle. Mutates the snapshot with assume() for every
 * placement, so the caller must forget() the ones whose binding fails.
 */
export function schedule(
  s: ClusterSnapshot,
  pending: readonly TaskRequest[],
  namespaces: readonly Namespace[],
  opts: ScheduleOptions = {},
): ScheduleResult {
  const max = opts.maxPlacements ?? Infinity;
  const out: ScheduleResult = { placements: [], waiting: [], deferred: [], skipped: [] };
  const heap = new Heap<Tenant>(tenantLess);
  for (const t of tenants(s, pending, namespaces)) heap.push(t);
  // Capacity only shrinks during a cycle, so an identical request that
  // failed before (same owner state) fails again: reuse its explanation.
  const failed = new Map<string, Failure>();

  while (heap.size > 0) {
    if (out.placements.length >= max) break;
    const t = heap.pop();
    const o = t.owners.pop();
    const req = o.queue.pop();
    const inFlight = s.holds(req.key) !== undefined;
    const over = inFlight ? undefined : overQuota(t, req);
    if (inFlight) {
      out.skipped.push(req.key);
    } else if (over) {
      out.waiting.push({ taskKey: req.key, reason: 'QuotaExceeded', summary: over, counts: {} });
    } else {
      const owner = s.owner(req.namespace, req.owner);
      const memoKey = `${shapeKey(req)}\0${owner?.version ?? 0}`;
      let f = failed.get(memoKey);
      if (!f) {
        const r = placeCompiled(compile(req, s), s, opts);
        if (r.ok) {
          s.assume(req, r.node, r.ports);
          out.placements.push({ taskKey: req.key, node: r.node, ports: r.ports });
          o.count++;
          t.usage.cpu += toMilli(req.resources.cpus);
          t.usage.mem += req.resources.mem || 0;
          t.usage.disk += req.resources.disk || 0;
          t.share = dominantShare(t.usage, s.totals, t.weight);
        } else {
          f = r.failure;
          failed.set(memoKey, f);
        }
      }
      if (f) out.waiting.push({ taskKey: req.key, reason: f.reason, summary: f.summary, counts: f.counts });
    }
    if (o.queue.size > 0) t.owners.push(o);
    if (t.owners.size > 0) heap.push(t);
  }
  for (const t of heap.drain()) for (const o of t.owners.drain()) for (const r of o.queue.drain()) out.deferred.push(r.key);
  return out;
}

function tenants(s: ClusterSnapshot, pending: readonly TaskRequest[], namespaces: readonly Namespace[]): Tenant[] {
  const specs = new Map(namespaces.map((n) => [n.metadata.name, n.spec]));
  const byNs = new Map<string, Tenant>();
  const queues = new Map<Tenant, Map<string, OwnerQueue>>();
  for (const req of pending) {
    let t = byNs.get(req.namespace);
    if (!t) {
      const spec = specs.get(req.namespace);
      const q = spec?.quota;
      const weight = spec && spec.weight > 0 ? spec.weight : 1;
      const usage = s.namespaceUsage(req.namespace);
      t = {
        name: req.namespace,
        weight,
        quota: q ? { cpu: q.cpus === undefined ? Infinity : toMilli(q.cpus), mem: q.mem ?? Infinity, disk: q.disk ?? Infinity } : undefined,
        usage,
        owners: new Heap<OwnerQueue>(ownerLess),
        share: dominantShare(usage, s.totals, weight),
      };
      byNs.set(req.namespace, t);
      queues.set(t, new Map());
    }
    // ownerless tasks form one group of their own
    const name = req.owner ?? '';
    const qs = queues.get(t)!;
    let q = qs.get(name);
    if (!q) {
      const r = req.resources;
      q = {
        name,
        queue: new Heap<TaskRequest>(requestLess),
        count: s.owner(req.namespace, req.owner)?.size ?? 0,
        unit: dominantShare({ cpu: toMilli(r.cpus), mem: r.mem || 0, disk: r.disk || 0 }, s.totals, 1),
      };
      qs.set(name, q);
    }
    q.queue.add(req);
  }
  for (const [t, qs] of queues) {
    for (const q of qs.values()) {
      q.queue.heapify();
      t.owners.push(q);
    }
  }
  return [...byNs.values()];
}

export function dominantShare(u: Usage, total: Usage, weight: number): number {
  let d = 0;
  if (total.cpu > 0) d = Math.max(d, u.cpu / total.cpu);
  if (total.mem > 0) d = Math.max(d, u.mem / total.mem);
  if (total.disk > 0) d = Math.max(d, u.disk / total.disk);
  return d / weight;
}

function overQuota(t: Tenant, req: TaskRequest): string | undefined {
  const q = t.quota;
  if (!q) return undefined;
  const r = req.resources;
  const cpu = toMilli(r.cpus);
  if (t.usage.cpu + cpu > q.cpu) return quotaText(t.name, 'cpus', t.usage.cpu / 1000, cpu / 1000, q.cpu / 1000);
  if (t.usage.mem + (r.mem || 0) > q.mem) return quotaText(t.name, 'mem', t.usage.mem, r.mem, q.mem);
  if (t.usage.disk + (r.disk || 0) > q.disk) return quotaText(t.name, 'disk', t.usage.disk, r.disk, q.disk);
  return undefined;
}

const quotaText = (ns: string, what: string, used: number, ask: number, quota: number): string =>
  `namespace ${ns} quota exceeded: ${what} ${round(used)} in use + ${round(ask)} asked > ${round(quota)}`;
const round = (x: number): number => Math.round(x * 1000) / 1000;

/** A binary min-heap under `less`: deterministic as long as `less` breaks ties. */
class Heap<T> {
  private readonly a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size(): number {
    return this.a.length;
  }
  peek(): T {
    return this.a[0]!;
  }
  push(t: T): void {
    const a = this.a;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  /** Add without ordering; heapify() before the next peek or pop. */
  add(t: T): void {
    this.a.push(t);
  }
  /** Order what add() put in, in O(n). */
  heapify(): void {
    for (let i = (this.a.length >> 1) - 1; i >= 0; i--) this.down(i);
  }
  pop(): T {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.down(0);
    }
    return top;
  }
  private down(i: number): void {
    const a = this.a;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
  drain(): T[] {
    return this.a.splice(0);
  }
}
