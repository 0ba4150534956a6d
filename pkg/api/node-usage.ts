/**
 * When a node's usage is worth writing again (pure): the agent samples its
 * containers every --usage-interval, but a steady node's Node status is
 * written at most once per REFRESH_MS (see pkg/agent/usage.ts for why).
 */
import type { NodeUsage } from './types.js';

const MIB = 1024 * 1024;
/** A steady node still refreshes `at` this often. */
export const REFRESH_MS = 5 * 60_000;

const cpuMoved = (a: number, b: number) => Math.abs(a - b) > Math.max(0.05, 0.2 * Math.max(a, b));
const memMoved = (a: number, b: number) => Math.abs(a - b) > Math.max(4 * MIB, 0.1 * Math.max(a, b));

/** Whether `next` is worth an etcd write over what is stored. */
export function changedMeaningfully(prev: NodeUsage | undefined, next: NodeUsage): boolean {
  if (!prev) return true;
  if (Date.parse(next.at) - Date.parse(prev.at) >= REFRESH_MS) return true;
  const a = Object.keys(prev.tasks ?? {});
  const b = Object.keys(next.tasks);
  if (a.length !== b.length || b.some((k) => !prev.tasks?.[k])) return true;
  for (const k of b) {
    const p = prev.tasks[k]!;
    const n = next.tasks[k]!;
    if (cpuMoved(p.cpus, n.cpus) || memMoved(p.memBytes, n.memBytes)) return true;
  }
  return false;
}
