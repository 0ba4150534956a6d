/**
 * Per-owner placement counts: how many live tasks of one owner (e.g.
 * default/service/hello) sit on each node, and — computed on first use, then
 * kept current — on each value of an attribute. Constraints read these.
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
