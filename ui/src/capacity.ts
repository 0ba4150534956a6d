/**
 * A node's resources as the UI shows them: capacity, allocated (Node.status.allocated,
 * written with each binding) and used (Node.status.usage, sampled by its agent: cpu and
 * memory only; disk and ports have no separate usage). Pure.
 */
import type { Node } from '../../pkg/api/types.js';

export interface Figures {
  capacity: number;
  allocated: number;
  /** What the tasks use, where the agent measures it. */
  used?: number;
}

export interface NodeFigures {
  cpu: Figures;
  mem: Figures;
  disk: Figures;
  ports: Figures;
}

export const RESOURCES = ['cpu', 'mem', 'disk', 'ports'] as const;
export type Resource = (typeof RESOURCES)[number];

export function portCapacity(n: Node): number {
  return (n.spec.portRanges ?? []).reduce((a, r) => a + (r.end - r.begin + 1), 0);
}

export function nodeFigures(n: Node): NodeFigures {
  const cap = n.status?.capacity ?? n.spec.capacity;
  const al = n.status?.allocated;
  const use = n.status?.usage;
  return {
    cpu: { capacity: cap?.cpus ?? 0, allocated: al?.cpus ?? 0, used: use?.cpus },
    mem: { capacity: cap?.mem ?? 0, allocated: al?.mem ?? 0, used: use?.mem },
    disk: { capacity: cap?.disk ?? 0, allocated: al?.disk ?? 0 },
    ports: { capacity: portCapacity(n), allocated: al?.ports ?? 0 },
  };
}

/** Sums; `used` is summed over the nodes that report it, and absent when none does. */
export function sumFigures(list: readonly NodeFigures[]): NodeFigures {
  const z = (): Figures => ({ capacity: 0, allocated: 0 });
  const t: NodeFigures = { cpu: z(), mem: z(), disk: z(), ports: z() };
  for (const f of list) {
    for (const r of RESOURCES) {
      t[r].capacity += f[r].capacity;
      t[r].allocated += f[r].allocated;
      if (f[r].used !== undefined) t[r].used = (t[r].used ?? 0) + f[r].used!;
    }
  }
  return t;
}

/** A share of capacity, 0..1 (0 without capacity). */
export const share = (n: number | undefined, f: Figures): number => (f.capacity > 0 && n !== undefined ? n / f.capacity : 0);

/** The largest allocated share of any resource: how busy a node is. */
export const busiest = (f: NodeFigures): number => Math.max(...RESOURCES.map((r) => share(f[r].allocated, f[r])));

export const UNITS: Record<Resource, { unit: string; fmt: (n: number) => string }> = {
  cpu: { unit: 'cores', fmt: (n) => String(Math.round(n * 100) / 100) },
  mem: { unit: '', fmt: (n) => mib(n) },
  disk: { unit: '', fmt: (n) => mib(n) },
  ports: { unit: 'ports', fmt: (n) => String(Math.round(n)) },
};

/** MiB in the largest unit that keeps it above 1. */
export function mib(n: number): string {
  const r = (x: number) => String(Math.round(x * 10) / 10);
  if (Math.abs(n) >= 1024 * 1024) return `${r(n / 1024 / 1024)} TiB`;
  if (Math.abs(n) >= 1024) return `${r(n / 1024)} GiB`;
  return `${Math.round(n)} MiB`;
}

export const pct = (x: number): string => `${x > 0 && x < 0.01 ? '<1' : Math.round(x * 100)}%`;
