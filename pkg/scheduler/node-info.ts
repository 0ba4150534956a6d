/**
 * One node as the scheduler sees it: capacity and what is free (cpus in
 * millicpus, so sums of 0.1 stay exact), its port pool, attribute values as
 * interned ids, and the allocations that hold its resources.
 */
import type { GridNode } from './grid.js';
import { PortPool } from './ports.js';

/** What one task holds on a node. */
export interface Alloc {
  cpu: number;
  mem: number;
  disk: number;
  ports: number[];
  /** Placed by this scheduler but not yet seen in the node's status.tasks. */
  assumed: boolean;
  /** The namespace the task belongs to (charged for DRF and quota). */
  ns: string;
}

export const toMilli = (cpus: number): number => Math.round((cpus || 0) * 1000);

export class NodeInfo implements GridNode {
  cell = -1;
  cellPos = -1;
  /** Position in the snapshot's dense node list. */
  pos = -1;
  capCpu = 0;
  capMem = 0;
  capDisk = 0;
  freeCpu = 0;
  freeMem = 0;
  freeDisk = 0;
  ready = false;
  unschedulable = false;
  /** Attribute value id per field id; -1 or past the end = the node lacks it. */
  attrs: number[] = [];
  ports: PortPool = new PortPool([]);
  /** Fingerprint of the port ranges, to rebuild the pool only when they change. */
  rangesKey = '';
  readonly allocs = new Map<string, Alloc>();
  /** Keys of the live tasks counted for their owners' constraints here. */
  readonly members = new Set<string>();

  constructor(readonly name: string) {}

  get schedulable(): boolean {
    return this.ready && !this.unschedulable;
  }

  /** Attribute value id of field f, -1 when absent. */
  attr(f: number): number {
    const v = this.attrs[f];
    return v === undefined ? -1 : v;
  }

  addAlloc(key: string, a: Alloc): void {
    this.allocs.set(key, a);
    this.freeCpu -= a.cpu;
    this.freeMem -= a.mem;
    this.freeDisk -= a.disk;
    this.ports.take(a.ports);
  }

  removeAlloc(key: string): Alloc | undefined {
    const a = this.allocs.get(key);
    if (!a) return undefined;
    this.allocs.delete(key);
    this.freeCpu += a.cpu;
    this.freeMem += a.mem;
    this.freeDisk += a.disk;
    this.ports.release(a.ports);
    return a;
  }
}
