/**
 * The host ports of one node: its ranges flattened into one index space
 * with a use count per port, so "is 8080 free", "how many are free" and
 * "give me the next free one" are O(1) or a short scan, with no allocation.
 *
 *   ranges [31000-31999] [40000-40009]  ->  index 0..999 | 1000..1009
 *
 * Dynamic ports are handed out round-robin from a cursor (like ephemeral
 * ports), so a port just released is not the first one reused.
 */
import type { PortRange } from '../api/types.js';

export class PortPool {
  /** begin, end pairs (inclusive), in the order the node gave them. */
  private readonly bounds: Int32Array;
  private readonly used: Uint8Array;
  readonly total: number;
  free: number;
  private cursor: number;

  constructor(ranges: readonly PortRange[], start = 0) {
    this.bounds = new Int32Array(ranges.length * 2);
    let total = 0;
    ranges.forEach((r, i) => {
      const b = Math.max(0, Math.floor(r.begin));
      const e = Math.max(b - 1, Math.floor(r.end));
      this.bounds[2 * i] = b;
      this.bounds[2 * i + 1] = e;
      total += e - b + 1;
    });
    this.total = total;
    this.free = total;
    this.used = new Uint8Array(total);
    this.cursor = total > 0 ? Math.floor(start) % total : 0;
  }

  /** Index of `port` in the pool, or -1 when outside every range. */
  indexOf(port: number): number {
    const b = this.bounds;
    let base = 0;
    for (let i = 0; i < b.length; i += 2) {
      const lo = b[i]!;
      const hi = b[i + 1]!;
      if (port >= lo && port <= hi) return base + (port - lo);
      base += hi - lo + 1;
    }
    return -1;
  }

  portAt(index: number): number {
    const b = this.bounds;
    let base = 0;
    for (let i = 0; i < b.length; i += 2) {
      const n = b[i + 1]! - b[i]! + 1;
      if (index < base + n) return b[i]! + (index - base);
      base += n;
    }
    return -1;
  }

  /** In a range and not taken. */
  isFree(port: number): boolean {
    const i = this.indexOf(port);
    return i >= 0 && this.used[i] === 0;
  }

  /** Mark ports taken; ports outside the ranges are ignored (nothing to track). */
  take(ports: readonly number[]): void {
    for (const p of ports) {
      const i = this.indexOf(p);
      if (i < 0) continue;
      if (this.used[i] === 0) this.free--;
      if (this.used[i]! < 255) this.used[i]!++;
    }
  }

  release(ports: readonly number[]): void {
    for (const p of ports) {
      const i = this.indexOf(p);
      if (i < 0 || this.used[i] === 0) continue;
      this.used[i]!--;
      if (this.used[i] === 0) this.free++;
    }
  }

  /**
   * Pick `n` free ports not in `avoid` (the request's fixed ports), from the
   * cursor on. Returns undefined when there are not enough. Does not take them.
   */
  pick(n: number, avoid: readonly number[]): number[] | undefined {
    if (n === 0) return [];
    if (this.free - avoid.length < n) return undefined;
    const out: number[] = [];
    let i = this.cursor;
    for (let seen = 0; seen < this.total && out.length < n; seen++, i = i + 1 === this.total ? 0 : i + 1) {
      if (this.used[i] !== 0) continue;
      const p = this.portAt(i);
      if (avoid.includes(p)) continue;
      out.push(p);
    }
    return out.length === n ? out : undefined;
  }

  /** Move the cursor past the last port handed out. */
  advance(port: number): void {
    const i = this.indexOf(port);
    if (i >= 0) this.cursor = i + 1 === this.total ? 0 : i + 1;
  }
}
