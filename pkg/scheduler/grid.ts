/**
 * The free-capacity index: schedulable nodes bucketed by how much cpu and
 * memory they have free, on a geometric scale (STEPS classes per doubling).
 *
 *          mem class ->
 *   cpu   [ . . . . . . ]
 *  class  [ . . x . . . ]   x = the request's own class: nodes there may fit
 *    |    [ . . . o o o ]   o = cells where every node fits on cpu and mem
 *    v    [ . . . o o o ]
 *
 * Binpack walks the cells from the request's class outward, diagonal by
 * diagonal (tightest first); spread walks from the far corner inward. Either
 * way only nodes that can plausibly fit are looked at, so a placement on a
 * 5,000-node cluster touches a handful of nodes instead of all of them.
 */

/** Classes per doubling of free capacity. */
export const STEPS = 3;
/** cpu classes start at 0.1 cpu (100 millicpus); the last class holds everything from ~200 cpus up. */
export const CPU_BASE = 100;
export const CPU_CLASSES = 36;
/** mem classes start at 32 MiB; the last holds everything from ~1 TiB up. */
export const MEM_BASE = 32;
export const MEM_CLASSES = 48;

export function cpuClass(milli: number): number {
  if (milli < CPU_BASE) return 0;
  const c = 1 + Math.floor(STEPS * Math.log2(milli / CPU_BASE));
  return c < CPU_CLASSES ? c : CPU_CLASSES - 1;
}

export function memClass(mib: number): number {
  if (mib < MEM_BASE) return 0;
  const c = 1 + Math.floor(STEPS * Math.log2(mib / MEM_BASE));
  return c < MEM_CLASSES ? c : MEM_CLASSES - 1;
}

export interface GridNode {
  /** Index of the cell holding the node, -1 when not in the grid. */
  cell: number;
  /** Position inside that cell's array (for O(1) removal). */
  cellPos: number;
}

export class FreeGrid<T extends GridNode> {
  readonly cells: T[][] = [];
  size = 0;

  constructor() {
    for (let i = 0; i < CPU_CLASSES * MEM_CLASSES; i++) this.cells.push([]);
  }

  static cellOf(freeCpuMilli: number, freeMem: number): number {
    return cpuClass(freeCpuMilli) * MEM_CLASSES + memClass(freeMem);
  }

  /** Put n in the cell for its free capacity (or leave it where it is). */
  place(n: T, freeCpuMilli: number, freeMem: number): void {
    const c = FreeGrid.cellOf(freeCpuMilli, freeMem);
    if (c === n.cell) return;
    if (n.cell >= 0) this.unlink(n);
    else this.size++;
    const arr = this.cells[c]!;
    n.cell = c;
    n.cellPos = arr.length;
    arr.push(n);
  }

  remove(n: T): void {
    if (n.cell < 0) return;
    this.unlink(n);
    n.cell = -1;
    n.cellPos = -1;
    this.size--;
  }

  /** Swap-remove from the current cell. */
  private unlink(n: T): void {
    const arr = this.cells[n.cell]!;
    const last = arr.pop()!;
    if (last !== n) {
      arr[n.cellPos] = last;
      last.cellPos = n.cellPos;
    }
  }
}
