/**
 * Derived views of the store: what belongs to what, sorted as people read it.
 *
 * Each is computed once per change of the kinds it reads (the collections' `version` or
 * `members`, store.ts), not per row or per event, and only when a view asks for it: at
 * 10,000 tasks a view draws many rows every frame, and each row asks these. Tasks are
 * grouped by owner, by node and counted by state in one pass each per change of the tasks;
 * the name order is sorted again only when tasks come or go.
 * What they return is shared: never change it.
 */
import type { Event, Job, JobRun, Node, Service, Task } from '../../pkg/api/types.js';
import { busiest, nodeFigures, share, sumFigures, type NodeFigures } from './capacity.js';
import type { Kind, Store } from './store.js';

const cache = new WeakMap<Store, Map<string, { stamp: string; value: unknown }>>();

/** f(), computed again only when `stamp` changes (per store, per name). */
function memo<T>(s: Store, name: string, stamp: string, f: () => T): T {
  let m = cache.get(s);
  if (!m) cache.set(s, (m = new Map()));
  const hit = m.get(name);
  if (hit && hit.stamp === stamp) return hit.value as T;
  const value = f();
  m.set(name, { stamp, value });
  return value;
}

const stampOf = (s: Store, ...kinds: Kind[]) => kinds.map((k) => s.get(k).version).join(',');

// plain code-unit order: names are ASCII, and localeCompare is ten times slower on 10,000 rows
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The keys of a kind in (namespace, name) order: sorted again only when objects come or go. */
function sortedKeys(s: Store, kind: Kind): string[] {
  const c = s.get(kind);
  return memo(s, `keys:${kind}`, String(c.members), () => {
    // "<ns>\0<name>" in the default (code unit) order is (namespace, name) order: a native sort, no comparator
    const order = new Map<string, string>();
    for (const [k, o] of c.items) order.set(`${o.metadata.namespace ?? ''}\u0000${o.metadata.name}`, k);
    return [...order.keys()].sort().map((k) => order.get(k)!);
  });
}

/** Every object of a kind in (namespace, name) order. */
export function sorted<T>(s: Store, kind: Kind): T[] {
  const c = s.get(kind);
  return memo(s, `list:${kind}`, `${c.version}`, () => {
    const out: T[] = [];
    for (const k of sortedKeys(s, kind)) {
      const o = c.items.get(k);
      if (o) out.push(o as T);
    }
    return out;
  });
}

export const services = (s: Store) => sorted<Service>(s, 'services');
export const jobs = (s: Store) => sorted<Job>(s, 'jobs');
export const nodes = (s: Store) => sorted<Node>(s, 'nodes');
export const tasks = (s: Store) => sorted<Task>(s, 'tasks');

export const TERMINAL = new Set(['Succeeded', 'Failed', 'Killed', 'Lost']);
export const isLive = (t: Task) => !TERMINAL.has(t.status?.state ?? 'Pending');

/** `<namespace>\0<owner kind>/<owner name>`: the key of an owner's tasks. */
const ownerKey = (ns: string, owner: string) => `${ns}\u0000${owner}`;

/** Group the tasks (in name order) by a key; each part is built only when a view asks for it. */
function groupTasks(s: Store, name: string, keyOf: (t: Task) => string | undefined): Map<string, Task[]> {
  return memo(s, name, stampOf(s, 'tasks'), () => {
    const m = new Map<string, Task[]>();
    for (const t of tasks(s)) {
      const k = keyOf(t);
      if (k === undefined) continue;
      const l = m.get(k);
      if (l) l.push(t);
      else m.set(k, [t]);
    }
    return m;
  });
}

const byOwner = (s: Store) => groupTasks(s, 'tasksByOwner', (t) => {
  const owner = t.spec.owner ?? t.metadata.labels?.['stowage/owner'];
  return owner ? ownerKey(t.metadata.namespace ?? 'default', owner) : undefined;
});

/** An owner's tasks: live ones first, newest first. */
export function tasksOf(s: Store, ownerKind: string, ns: string, name: string): Task[] {
  const k = ownerKey(ns, `${ownerKind}/${name}`);
  // sorted once per change of the tasks, when first asked for
  const ordered = memo(s, 'tasksOfOrdered', stampOf(s, 'tasks'), () => new Map<string, Task[]>());
  let out = ordered.get(k);
  if (!out) {
    out = [...(byOwner(s).get(k) ?? [])].sort(
      (a, b) => Number(!isLive(a)) - Number(!isLive(b)) || cmp(b.metadata.creationTimestamp ?? '', a.metadata.creationTimestamp ?? ''),
    );
    ordered.set(k, out);
  }
  return out;
}

/** The tasks bound to a node, in name order. */
export const tasksOnNode = (s: Store, node: string): Task[] => groupTasks(s, 'tasksByNode', (t) => t.status?.nodeName).get(node) ?? [];

/** How many tasks are in each state. */
export function tasksByState(s: Store): Map<string, number> {
  return memo(s, 'tasksByState', stampOf(s, 'tasks'), () => {
    const m = new Map<string, number>();
    for (const t of s.get('tasks').items.values() as Iterable<Task>) {
      const st = t.status?.state ?? 'Pending';
      m.set(st, (m.get(st) ?? 0) + 1);
    }
    return m;
  });
}

export function runsOf(s: Store, ns: string, job: string): JobRun[] {
  const ix = memo(s, 'runIndex', stampOf(s, 'jobruns'), () => {
    const m = new Map<string, JobRun[]>();
    for (const r of sorted<JobRun>(s, 'jobruns')) {
      const k = `${r.metadata.namespace ?? 'default'}\u0000${r.metadata.labels?.['stowage/job'] ?? ''}`;
      const l = m.get(k);
      if (l) l.push(r);
      else m.set(k, [r]);
    }
    for (const l of m.values()) l.sort((a, b) => cmp(b.metadata.creationTimestamp ?? '', a.metadata.creationTimestamp ?? '') || cmp(b.metadata.name, a.metadata.name));
    return m;
  });
  return ix.get(`${ns}\u0000${job}`) ?? [];
}

const when = (e: Event) => e.spec.lastTimestamp ?? e.spec.firstTimestamp ?? e.metadata.creationTimestamp ?? '';
export const eventTime = when;

/** Every event, newest first. */
export function allEvents(s: Store): Event[] {
  return memo(s, 'events', stampOf(s, 'events'), () => {
    const l = [...(s.get('events').items.values() as Iterable<Event>)];
    // the time of each, read once (the comparator runs n log n times)
    const t = new Map(l.map((e) => [e, when(e)]));
    return l.sort((a, b) => cmp(t.get(b)!, t.get(a)!));
  });
}

/** Newest first. */
export function events(s: Store, filter: (e: Event) => boolean = () => true, limit = 200): Event[] {
  const out: Event[] = [];
  for (const e of allEvents(s)) {
    if (out.length >= limit) break;
    if (filter(e)) out.push(e);
  }
  return out;
}

/** The newest warnings. */
export const warnings = (s: Store, limit = 8): Event[] =>
  memo(s, `warnings:${limit}`, stampOf(s, 'events'), () => events(s, (e) => e.spec.type === 'Warning', limit));

export function eventsFor(s: Store, kind: string, ns: string, name: string, limit = 50): Event[] {
  const ix = memo(s, 'eventIndex', stampOf(s, 'events'), () => {
    const m = new Map<string, Event[]>();
    for (const e of allEvents(s)) {
      const o = e.spec.involvedObject;
      const k = `${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}`;
      const l = m.get(k);
      if (l) l.push(e);
      else m.set(k, [e]);
    }
    return m;
  });
  const mine = ix.get(`${kind}\u0000${ns}\u0000${name}`) ?? [];
  // an involved object that names no namespace is the object of that name in any
  const any = ns ? (ix.get(`${kind}\u0000\u0000${name}`) ?? []) : [];
  if (any.length === 0) return mine.slice(0, limit);
  return [...mine, ...any].sort((a, b) => cmp(when(b), when(a))).slice(0, limit);
}

export interface NodeRow {
  node: Node;
  name: string;
  state: string;
  cordoned: boolean;
  /** Tasks holding resources on it (Node.status.tasks). */
  tasks: number;
  f: NodeFigures;
  /** Its largest allocated share of any resource, 0..1. */
  busy: number;
}

export interface NodeSummary {
  rows: NodeRow[];
  total: NodeFigures;
  ready: number;
  notReady: number;
  cordoned: number;
}

/** Every node's figures and the cluster's sums, in name order. */
export function nodeSummary(s: Store): NodeSummary {
  return memo(s, 'nodeSummary', stampOf(s, 'nodes'), () => {
    const rows = nodes(s).map((n): NodeRow => {
      const f = nodeFigures(n);
      return { node: n, name: n.metadata.name, state: n.status?.state ?? 'Unknown', cordoned: !!(n.status?.cordoned || n.spec.unschedulable), tasks: Object.keys(n.status?.tasks ?? {}).length, f, busy: busiest(f) };
    });
    return {
      rows,
      total: sumFigures(rows.map((r) => r.f)),
      ready: rows.filter((r) => r.state === 'Ready').length,
      notReady: rows.filter((r) => r.state !== 'Ready').length,
      cordoned: rows.filter((r) => r.cordoned).length,
    };
  });
}

export const NODE_ORDERS = {
  busiest: 'busiest first (largest allocated share)',
  cpu: 'cpu allocated',
  mem: 'mem allocated',
  disk: 'disk allocated',
  ports: 'ports allocated',
  'cpu-used': 'cpu used',
  'mem-used': 'mem used',
  tasks: 'most tasks',
  trouble: 'not Ready first',
  name: 'name',
} as const;
export type NodeOrder = keyof typeof NODE_ORDERS;

const nodeKey: Record<NodeOrder, (r: NodeRow) => number> = {
  busiest: (r) => r.busy,
  cpu: (r) => share(r.f.cpu.allocated, r.f.cpu),
  mem: (r) => share(r.f.mem.allocated, r.f.mem),
  disk: (r) => share(r.f.disk.allocated, r.f.disk),
  ports: (r) => share(r.f.ports.allocated, r.f.ports),
  'cpu-used': (r) => share(r.f.cpu.used ?? 0, r.f.cpu),
  'mem-used': (r) => share(r.f.mem.used ?? 0, r.f.mem),
  tasks: (r) => r.tasks,
  trouble: (r) => Number(r.state !== 'Ready') * 2 + Number(r.cordoned),
  name: () => 0,
};

/** The nodes in an order (largest first; ties by name). */
export function nodesBy(s: Store, order: NodeOrder): NodeRow[] {
  return memo(s, `nodesBy:${order}`, stampOf(s, 'nodes'), () => {
    const rows = nodeSummary(s).rows;
    if (order === 'name') return rows;
    const k = nodeKey[order];
    const v = new Map(rows.map((r) => [r, k(r)]));
    return [...rows].sort((a, b) => v.get(b)! - v.get(a)! || cmp(a.name, b.name));
  });
}
