/**
 * Per-owner placement counts: how many live tasks of one owner (e.g.
 * default/service/hello) sit on each node, and — computed on first use, then
 * kept current — on each value of an attribute. Constraints read these.
 *
 *   OwnerIndex: task key ──> member {owner, node, assumed}
 *               namespace ─> owner ─> OwnerState {byNode, per-field counts}
 *               node name ─> parked tasks (bound to a node not in the snapshot)
 */
import type { NodeInfo } from './node-info.js';

export class OwnerState {
  /** Live tasks counted. */
  size = 0;
  /** Bumped on every change: lets a scheduling cycle reuse a failure verdict. */
  version = 0;
  readonly byNode = new Map<NodeInfo, number>();
  /** field id -> value id -> tasks; only for fields some constraint asked about. */
  private readonly fields = new Map<number, Map<number, number>>();

  constructor(
    readonly namespace: string,
    readonly name: string,
  ) {}

  add(n: NodeInfo): void {
    this.size++;
    this.version++;
    this.byNode.set(n, (this.byNode.get(n) ?? 0) + 1);
    for (const [f, m] of this.fields) {
      const v = n.attr(f);
      if (v >= 0) m.set(v, (m.get(v) ?? 0) + 1);
    }
  }

  remove(n: NodeInfo): void {
    const c = this.byNode.get(n);
    if (c === undefined) return;
    this.size--;
    this.version++;
    if (c <= 1) this.byNode.delete(n);
    else this.byNode.set(n, c - 1);
    for (const [f, m] of this.fields) {
      const v = n.attr(f);
      if (v < 0) continue;
      const k = m.get(v) ?? 0;
      // Zero entries are deleted so m.size = number of values holding tasks.
      if (k <= 1) m.delete(v);
      else m.set(v, k - 1);
    }
  }

  /** value id -> tasks of this owner on nodes with that value of field f. */
  counts(f: number): Map<number, number> {
    let m = this.fields.get(f);
    if (m) return m;
    m = new Map();
    for (const [n, c] of this.byNode) {
      const v = n.attr(f);
      if (v >= 0) m.set(v, (m.get(v) ?? 0) + c);
    }
    this.fields.set(f, m);
    return m;
  }

  /** Node attributes changed: recompute lazily. */
  invalidate(): void {
    this.fields.clear();
    this.version++;
  }
}

interface Member {
  owner: OwnerState;
  node: NodeInfo;
  /** Placed by this scheduler; not yet seen bound in the Task. */
  assumed: boolean;
}

/**
 * Which live task counts for which owner on which node. Tasks bound to a
 * node the snapshot does not know (not seen yet, or removed) are parked
 * under the node's name and counted again when it (re)appears.
 */
export class OwnerIndex {
  /** namespace -> owner -> counts (two levels: no key strings built per placement). */
  private readonly owners = new Map<string, Map<string, OwnerState>>();
  private readonly members = new Map<string, Member>();
  private readonly parked = new Map<string, Map<string, { ns: string; owner: string }>>();
  private readonly parkedAt = new Map<string, string>();

  get(ns: string, owner: string): OwnerState | undefined {
    return this.owners.get(ns)?.get(owner);
  }

  member(key: string): Member | undefined {
    return this.members.get(key);
  }

  add(key: string, ns: string, owner: string, n: NodeInfo, assumed: boolean): void {
    this.drop(key);
    this.unpark(key);
    let byOwner = this.owners.get(ns);
    if (!byOwner) this.owners.set(ns, (byOwner = new Map()));
    let o = byOwner.get(owner);
    if (!o) byOwner.set(owner, (o = new OwnerState(ns, owner)));
    o.add(n);
    n.members.add(key);
    this.members.set(key, { owner: o, node: n, assumed });
  }

  drop(key: string): void {
    const m = this.members.get(key);
    if (!m) return;
    this.members.delete(key);
    m.owner.remove(m.node);
    m.node.members.delete(key);
    if (m.owner.size === 0) this.owners.get(m.owner.namespace)?.delete(m.owner.name);
  }

  /** Forget the task entirely: counted or parked. */
  remove(key: string): void {
    this.unpark(key);
    this.drop(key);
  }

  park(key: string, nodeName: string, ns: string, owner: string): void {
    this.remove(key);
    let p = this.parked.get(nodeName);
    if (!p) this.parked.set(nodeName, (p = new Map()));
    p.set(key, { ns, owner });
    this.parkedAt.set(key, nodeName);
  }

  unpark(key: string): void {
    const at = this.parkedAt.get(key);
    if (at === undefined) return;
    this.parkedAt.delete(key);
    const p = this.parked.get(at)!;
    p.delete(key);
    if (p.size === 0) this.parked.delete(at);
  }

  /** A node appeared: count the tasks that said they run there. */
  nodeAdded(n: NodeInfo): void {
    const waiting = this.parked.get(n.name);
    if (!waiting) return;
    for (const [key, w] of [...waiting]) this.add(key, w.ns, w.owner, n, false);
  }

  /** A node left: committed tasks are parked (they still say they run there), assumed ones dropped. */
  nodeRemoved(n: NodeInfo): void {
    for (const key of [...n.members]) {
      const m = this.members.get(key)!;
      if (m.assumed) this.drop(key);
      else this.park(key, n.name, m.owner.namespace, m.owner.name);
    }
  }

  /** Node attributes changed: every owner recomputes its per-value counts. */
  invalidateAll(): void {
    for (const byOwner of this.owners.values()) for (const o of byOwner.values()) o.invalidate();
  }
}
