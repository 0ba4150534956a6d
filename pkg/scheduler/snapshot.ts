/**
 * ClusterSnapshot: the scheduler's picture of the cluster, kept alive by the
 * runner and updated incrementally from its informers.
 *
 *   informer Node  --setNode/removeNode-->  nodes, free capacity, ports, grid
 *   informer Task  --setTask/removeTask-->  per-owner counts (constraints)
 *   place()        --assume/forget------->  the placements of this cycle
 *
 * Resources and ports come from Node status.tasks (what the binding
 * transaction committed), owners from the Task objects. Placements made but
 * not yet seen in status.tasks are "assumed": a node update does not drop
 * them; forget() does (when the binding transaction failed).
 */
import type { Node, Task } from '../api/types.js';
import { FreeGrid } from './grid.js';
import { NodeInfo, toMilli, type Alloc } from './node-info.js';
import { OwnerIndex, type OwnerState } from './owners.js';
import { PortPool } from './ports.js';
import { mulberry32, type Rand } from './prng.js';
import type { TaskRequest } from './types.js';

export interface Usage {
  cpu: number;
  mem: number;
  disk: number;
}

interface Field {
  name: string;
  ids: Map<string, number>;
  values: string[];
  /** value id -> schedulable nodes with that value (GROUP_BY spreads over these). */
  nodes: number[];
}

const NO_PORTS: number[] = [];
const NO_CAPACITY = { cpus: 0, mem: 0, disk: 0 };
const LIVE_BOUND: ReadonlySet<string> = new Set(['Bound', 'Starting', 'Running', 'Unreachable']);
export const HOSTNAME = 0;

export const taskKeyOf = (t: Task): string => `${t.metadata.namespace ?? 'default'}/${t.metadata.name}`;
const nsOfKey = (key: string): string => {
  const i = key.indexOf('/');
  return i < 0 ? 'default' : key.slice(0, i);
};

export class ClusterSnapshot {
  /** Dense list of every node, schedulable or not, in insertion order. */
  readonly nodes: NodeInfo[] = [];
  readonly grid = new FreeGrid<NodeInfo>();
  /** Capacity of Ready nodes: the pool DRF shares are measured against. */
  readonly totals: Usage = { cpu: 0, mem: 0, disk: 0 };
  /** Nodes outside the grid, by why (explain.ts names them without a scan). */
  notReady = 0;
  cordoned = 0;
  private readonly byName = new Map<string, NodeInfo>();
  private readonly fields: Field[] = [];
  private readonly fieldIds = new Map<string, number>();
  private readonly owners = new OwnerIndex();
  private readonly allocAt = new Map<string, NodeInfo>();
  private readonly usage = new Map<string, Usage>();
  private readonly rand: Rand;
  /** Memo of parsed constraints and regex matches, owned by feasible.ts. */
  readonly memo = new Map<string, unknown>();
  /** The same, by constraint array: tasks from one template share theirs. */
  readonly memoByRef = new WeakMap<object, unknown>();

  constructor(opts: { seed?: number } = {}) {
    this.rand = mulberry32(opts.seed ?? 1);
    this.fieldId('hostname');
  }

  /** Build from a list; nodes are inserted in a seeded shuffled order. */
  static from(nodes: readonly Node[], tasks: readonly Task[] = [], opts: { seed?: number } = {}): ClusterSnapshot {
    const s = new ClusterSnapshot(opts);
    const order = nodes.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(s.rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) s.setNode(nodes[i]!);
    for (const t of tasks) s.setTask(t);
    return s;
  }

  node(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  get schedulableCount(): number {
    return this.grid.size;
  }

  // ---- nodes ----

  setNode(node: Node): void {
    const name = node.metadata.name;
    let n = this.byName.get(name);
    if (!n) {
      n = new NodeInfo(name);
      n.pos = this.nodes.length;
      this.nodes.push(n);
      this.byName.set(name, n);
    } else {
      this.unindex(n);
    }
    // a Node applied by hand before its agent registered offers nothing yet
    const cap = node.spec.capacity ?? NO_CAPACITY;
    const capCpu = toMilli(cap.cpus);
    n.freeCpu += capCpu - n.capCpu;
    n.freeMem += (cap.mem || 0) - n.capMem;
    n.freeDisk += (cap.disk || 0) - n.capDisk;
    n.capCpu = capCpu;
    n.capMem = cap.mem || 0;
    n.capDisk = cap.disk || 0;
    n.ready = node.status?.state === 'Ready';
    n.unschedulable = !!node.spec.unschedulable || !!node.status?.cordoned;
    this.setAttrs(n, node.spec.attributes ?? {});
    this.setRanges(n, node);
    this.syncAllocs(n, node.status?.tasks ?? {});
    this.index(n);
    this.owners.nodeAdded(n);
  }

  removeNode(name: string): void {
    const n = this.byName.get(name);
    if (!n) return;
    this.unindex(n);
    for (const key of [...n.allocs.keys()]) this.dropAlloc(key);
    this.owners.nodeRemoved(n);
    const last = this.nodes.pop()!;
    if (last !== n) {
      this.nodes[n.pos] = last;
      last.pos = n.pos;
    }
    this.byName.delete(name);
  }

  private index(n: NodeInfo): void {
    if (n.ready) {
      this.totals.cpu += n.capCpu;
      this.totals.mem += n.capMem;
      this.totals.disk += n.capDisk;
    }
    if (!n.ready) this.notReady++;
    else if (n.unschedulable) this.cordoned++;
    if (!n.schedulable) return;
    this.grid.place(n, n.freeCpu, n.freeMem);
    for (let f = 0; f < n.attrs.length; f++) {
      const v = n.attrs[f]!;
      if (v >= 0) this.fields[f]!.nodes[v]!++;
    }
  }

  private unindex(n: NodeInfo): void {
    if (n.ready) {
      this.totals.cpu -= n.capCpu;
      this.totals.mem -= n.capMem;
      this.totals.disk -= n.capDisk;
    }
    if (!n.ready) this.notReady--;
    else if (n.unschedulable) this.cordoned--;
    if (n.cell < 0) return;
    this.grid.remove(n);
    for (let f = 0; f < n.attrs.length; f++) {
      const v = n.attrs[f]!;
      if (v >= 0) this.fields[f]!.nodes[v]!--;
    }
  }

  private setAttrs(n: NodeInfo, attributes: Record<string, string>): void {
    const attrs: number[] = [this.valueId(HOSTNAME, n.name, true)];
    for (const [k, v] of Object.entries(attributes)) {
      if (k === 'hostname') continue; // hostname is the node name, always
      const f = this.fieldId(k);
      while (attrs.length <= f) attrs.push(-1);
      attrs[f] = this.valueId(f, String(v), true);
    }
    while (attrs.length < this.fields.length) attrs.push(-1);
    const changed = attrs.length !== n.attrs.length || attrs.some((v, i) => v !== n.attrs[i]);
    n.attrs = attrs;
    // Owners with tasks here counted them under the old values.
    if (changed && n.members.size > 0) this.owners.invalidateAll();
  }

  private setRanges(n: NodeInfo, node: Node): void {
    const ranges = node.spec.portRanges ?? [];
    const key = ranges.map((r) => `${r.begin}-${r.end}`).join(',');
    if (key === n.rangesKey && n.ports.total > 0) return;
    n.rangesKey = key;
    const total = ranges.reduce((s, r) => s + Math.max(0, r.end - r.begin + 1), 0);
    n.ports = new PortPool(ranges, Math.floor(this.rand() * Math.max(1, total)));
    for (const a of n.allocs.values()) n.ports.take(a.ports);
  }

  /** Make the node's allocations match status.tasks, keeping assumed ones. */
  private syncAllocs(n: NodeInfo, tasks: Record<string, { cpus: number; mem: number; disk: number; ports?: number[] }>): void {
    for (const [key, a] of n.allocs) if (!a.assumed && !(key in tasks)) this.dropAlloc(key);
    for (const [key, t] of Object.entries(tasks)) {
      const cur = n.allocs.get(key);
      const next: Alloc = { cpu: toMilli(t.cpus), mem: t.mem || 0, disk: t.disk || 0, ports: t.ports ?? [], assumed: false, ns: nsOfKey(key) };
      if (cur && cur.cpu === next.cpu && cur.mem === next.mem && cur.disk === next.disk && samePorts(cur.ports, next.ports)) {
        cur.assumed = false;
        continue;
      }
      if (cur || this.allocAt.has(key)) this.dropAlloc(key);
      this.putAlloc(n, key, next);
    }
  }

  private putAlloc(n: NodeInfo, key: string, a: Alloc): void {
    n.addAlloc(key, a);
    this.allocAt.set(key, n);
    const u = this.usageOf(a.ns);
    u.cpu += a.cpu;
    u.mem += a.mem;
    u.disk += a.disk;
  }

  private dropAlloc(key: string): void {
    const n = this.allocAt.get(key);
    if (!n) return;
    this.allocAt.delete(key);
    const a = n.removeAlloc(key);
    if (!a) return;
    const u = this.usageOf(a.ns);
    u.cpu -= a.cpu;
    u.mem -= a.mem;
    u.disk -= a.disk;
    if (n.cell >= 0) this.grid.place(n, n.freeCpu, n.freeMem);
  }

  // ---- tasks (owners) ----

  /** A task changed: count it for its owner while it is bound and alive. */
  setTask(t: Task): void {
    const key = taskKeyOf(t);
    const state = t.status?.state ?? 'Pending';
    const nodeName = t.status?.nodeName;
    const n = nodeName ? this.byName.get(nodeName) : undefined;
    const m = this.owners.member(key);
    const ns = t.metadata.namespace ?? 'default';
    if (nodeName && t.spec.owner && LIVE_BOUND.has(state)) {
      if (m && m.node === n && m.owner.namespace === ns && m.owner.name === t.spec.owner) {
        m.assumed = false;
        return;
      }
      if (n) this.owners.add(key, ns, t.spec.owner, n, false);
      else this.owners.park(key, nodeName, ns, t.spec.owner);
      return;
    }
    this.owners.unpark(key);
    // A stale Pending event must not undo our own placement; an end does.
    if (m && (!m.assumed || state !== 'Pending')) this.owners.drop(key);
  }

  removeTask(key: string): void {
    this.owners.remove(key);
  }

  owner(namespace: string, owner: string | undefined): OwnerState | undefined {
    return owner ? this.owners.get(namespace, owner) : undefined;
  }

  // ---- this cycle's placements ----

  /** Record a placement made here, before its binding is committed. */
  assume(req: TaskRequest, nodeName: string, ports: Record<string, number>): void {
    const n = this.byName.get(nodeName);
    if (!n) throw new Error(`assume: unknown node ${nodeName}`);
    if (this.allocAt.has(req.key)) throw new Error(`assume: task ${req.key} already holds resources on ${this.allocAt.get(req.key)!.name}`);
    const r = req.resources;
    let taken = NO_PORTS;
    for (const _ in ports) {
      taken = Object.values(ports);
      break;
    }
    this.putAlloc(n, req.key, { cpu: toMilli(r.cpus), mem: r.mem || 0, disk: r.disk || 0, ports: taken, assumed: true, ns: req.namespace });
    if (taken.length) n.ports.advance(taken[taken.length - 1]!);
    if (n.cell >= 0) this.grid.place(n, n.freeCpu, n.freeMem);
    if (req.owner) this.owners.add(req.key, req.namespace, req.owner, n, true);
  }

  /** The node where the task holds resources (committed or assumed), if any. */
  holds(key: string): string | undefined {
    return this.allocAt.get(key)?.name;
  }

  /** Undo an assumed placement (its binding transaction failed). */
  forget(key: string): void {
    const n = this.allocAt.get(key);
    if (n?.allocs.get(key)?.assumed) this.dropAlloc(key);
    if (this.owners.member(key)?.assumed) this.owners.drop(key);
  }

  // ---- attributes ----

  fieldId(name: string): number {
    let f = this.fieldIds.get(name);
    if (f === undefined) {
      f = this.fields.length;
      this.fields.push({ name, ids: new Map(), values: [], nodes: [] });
      this.fieldIds.set(name, f);
    }
    return f;
  }

  /** Id of a value of field f; -1 when no node ever had it (unless create). */
  valueId(f: number, value: string, create = false): number {
    const fd = this.fields[f]!;
    let v = fd.ids.get(value);
    if (v === undefined) {
      if (!create) return -1;
      v = fd.values.length;
      fd.values.push(value);
      fd.nodes.push(0);
      fd.ids.set(value, v);
    }
    return v;
  }

  value(f: number, v: number): string {
    return this.fields[f]!.values[v]!;
  }

  /** value id -> schedulable nodes having it, for field f. */
  valueNodes(f: number): readonly number[] {
    return this.fields[f]!.nodes;
  }

  // ---- usage ----

  private usageOf(ns: string): Usage {
    let u = this.usage.get(ns);
    if (!u) this.usage.set(ns, (u = { cpu: 0, mem: 0, disk: 0 }));
    return u;
  }

  /** What the namespace's tasks hold (committed and assumed); cpu in millicpus. */
  namespaceUsage(ns: string): Usage {
    const u = this.usage.get(ns);
    return u ? { ...u } : { cpu: 0, mem: 0, disk: 0 };
  }
}

function samePorts(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
