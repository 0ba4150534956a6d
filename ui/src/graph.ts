/**
 * The dependency graph of services and jobs, laid out left to right (pure):
 *
 *   Service.spec.dependencies, Job.spec.parents  ──► edges  dependency ──► dependent
 *   layer(n) = 0 without dependencies, else 1 + the deepest layer among them
 *              (longest path: everything a node waits for stands to its left)
 *   an edge that spans layers passes through a waypoint in each layer between
 *              (Sugiyama's dummy nodes), so it runs beside the boxes, not under them
 *   order in a layer: by name, then a few sweeps placing each node (and
 *              waypoint) at the mean position of its neighbours (barycenter),
 *              which removes most crossings of small graphs
 *
 * References are `service/NAME`, `job/NAME` or a bare NAME of the lister's
 * own kind (pkg/api/dependencies.ts), inside one namespace; a reference to
 * nothing becomes a node marked missing. The API refuses cycles; one that
 * slipped past it is cut where the walk meets it again.
 */
import type { Job, Service } from '../../pkg/api/types.js';

export type NodeKind = 'service' | 'job';

export interface GraphNode {
  /** `<namespace>/<kind>/<name>` */
  key: string;
  kind: NodeKind;
  ns: string;
  name: string;
  /** Keys of what it depends on. */
  deps: string[];
  /** Named by a dependency but not there. */
  missing: boolean;
  object?: Service | Job;
}

export interface Placed extends GraphNode {
  layer: number;
  /** Position inside its layer, from the top. */
  row: number;
}

export interface Slot {
  layer: number;
  row: number;
}

export interface Edge {
  from: string;
  to: string;
  /** The slots it passes through in the layers between its ends. */
  via: Slot[];
}

export interface Graph {
  nodes: Placed[];
  edges: Edge[];
  layers: number;
  rows: number;
}

/** A reference as a graph key: `service/db` or a bare `db` of the lister's kind. */
export function refTo(ns: string, ref: string, bare: NodeKind): string {
  const i = ref.indexOf('/');
  const kind: NodeKind = i < 0 ? bare : ref.slice(0, i) === 'service' ? 'service' : 'job';
  return `${ns}/${kind}/${i < 0 ? ref : ref.slice(i + 1)}`;
}

export function graphNodes(services: readonly Service[], jobs: readonly Job[]): GraphNode[] {
  const nodes = new Map<string, GraphNode>();
  const add = (kind: NodeKind, o: Service | Job, refs: readonly string[]) => {
    const ns = o.metadata.namespace ?? 'default';
    const key = `${ns}/${kind}/${o.metadata.name}`;
    nodes.set(key, { key, kind, ns, name: o.metadata.name, deps: [...new Set(refs.map((r) => refTo(ns, r, kind)))], missing: false, object: o });
  };
  for (const s of services) add('service', s, s.spec.dependencies ?? []);
  for (const j of jobs) add('job', j, j.spec.parents ?? []);
  for (const n of [...nodes.values()]) {
    for (const d of n.deps) {
      if (nodes.has(d)) continue;
      const [ns, kind, ...rest] = d.split('/');
      nodes.set(d, { key: d, kind: kind as NodeKind, ns: ns!, name: rest.join('/'), deps: [], missing: true });
    }
  }
  return [...nodes.values()];
}

/** The nodes that take part in at least one edge. */
export function connected(nodes: readonly GraphNode[]): GraphNode[] {
  const linked = new Set<string>();
  for (const n of nodes) {
    if (n.deps.length) linked.add(n.key);
    for (const d of n.deps) linked.add(d);
  }
  return nodes.filter((n) => linked.has(n.key));
}

/** The nodes joined to `key` by edges in either direction (its component). */
export function componentOf(nodes: readonly GraphNode[], key: string): GraphNode[] {
  const adj = new Map<string, string[]>();
  const link = (a: string, b: string) => adj.set(a, [...(adj.get(a) ?? []), b]);
  for (const n of nodes) for (const d of n.deps) (link(n.key, d), link(d, n.key));
  const seen = new Set([key]);
  const todo = [key];
  while (todo.length) for (const m of adj.get(todo.pop()!) ?? []) if (!seen.has(m)) (seen.add(m), todo.push(m));
  return nodes.filter((n) => seen.has(n.key));
}

const SWEEPS = 4;

export function layout(input: readonly GraphNode[]): Graph {
  const byKey = new Map(input.map((n) => [n.key, n]));
  const layerOf = new Map<string, number>();
  const walking = new Set<string>();
  const depth = (key: string): number => {
    const known = layerOf.get(key);
    if (known !== undefined) return known;
    if (walking.has(key)) return -1; // a cycle: cut here
    walking.add(key);
    let l = 0;
    for (const d of byKey.get(key)?.deps ?? []) if (byKey.has(d)) l = Math.max(l, depth(d) + 1);
    walking.delete(key);
    layerOf.set(key, l);
    return l;
  };
  const sorted = [...input].sort((a, b) => a.ns.localeCompare(b.ns) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  for (const n of sorted) depth(n.key);
  const layers: string[][] = [];
  for (const n of sorted) (layers[layerOf.get(n.key)!] ??= []).push(n.key);

  const pairs = sorted.flatMap((n) => n.deps.filter((d) => byKey.has(d)).map((d) => ({ from: d, to: n.key })));
  // a chain of links per edge: through one waypoint per layer it crosses
  const neighbours = new Map<string, string[]>();
  const link = (a: string, b: string) => {
    neighbours.set(a, [...(neighbours.get(a) ?? []), b]);
    neighbours.set(b, [...(neighbours.get(b) ?? []), a]);
  };
  const waypoints = pairs.map(({ from, to }) => {
    const keys: string[] = [];
    let prev = from;
    for (let l = layerOf.get(from)! + 1; l < layerOf.get(to)!; l++) {
      const w = `${from}>${to}#${l}`;
      layers[l]!.push(w);
      keys.push(w);
      link(prev, w);
      prev = w;
    }
    link(prev, to);
    return keys;
  });
  const pos = new Map<string, number>();
  const place = () => layers.forEach((l) => l.forEach((k, i) => pos.set(k, l.length > 1 ? i / (l.length - 1) : 0.5)));
  place();
  for (let s = 0; s < SWEEPS; s++) {
    const order = s % 2 === 0 ? layers : [...layers].reverse();
    for (const l of order) {
      const centre = new Map(l.map((k) => {
        const ns = neighbours.get(k) ?? [];
        return [k, ns.length ? ns.reduce((a, m) => a + pos.get(m)!, 0) / ns.length : pos.get(k)!] as const;
      }));
      l.sort((a, b) => centre.get(a)! - centre.get(b)! || a.localeCompare(b));
      l.forEach((k, i) => pos.set(k, l.length > 1 ? i / (l.length - 1) : 0.5));
    }
  }
  const slot = new Map<string, Slot>();
  layers.forEach((l, layer) => l.forEach((k, row) => slot.set(k, { layer, row })));
  const nodes = sorted.map((n) => ({ ...n, ...slot.get(n.key)! }));
  const edges = pairs.map((p, i) => ({ ...p, via: waypoints[i]!.map((w) => slot.get(w)!) }));
  return { nodes, edges, layers: layers.length, rows: Math.max(0, ...layers.map((l) => l.length)) };
}
