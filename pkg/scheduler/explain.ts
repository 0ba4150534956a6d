/**
 * "Why is it pending?": when nothing fits, every node is counted once, by
 * the first check it fails, and the reasons are listed most frequent first:
 *
 *   0/5 nodes fit: 3 insufficient mem, 2 constraint hostname UNIQUE
 */
import { check, CORDONED, NOT_READY, reasonText, type Compiled } from './feasible.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { Failure } from './types.js';

export function explain(c: Compiled, s: ClusterSnapshot): Failure {
  if (c.error) return { reason: 'InvalidRequest', summary: c.error, counts: {} };
  const byCode = new Map<number, number>();
  for (const n of s.nodes) {
    const code = !n.ready ? NOT_READY : n.unschedulable ? CORDONED : check(n, c, s);
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
  // Most frequent first; ties in the order the checks run.
  const rows = [...byCode].filter(([code]) => code !== 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const counts: Record<string, number> = {};
  for (const [code, k] of rows) {
    const text = reasonText(code, c);
    counts[text] = (counts[text] ?? 0) + k;
  }
  const fit = byCode.get(0) ?? 0;
  const parts = Object.entries(counts).map(([r, k]) => `${k} ${r}`);
  const summary = `${fit}/${s.nodes.length} nodes fit` + (parts.length ? `: ${parts.join(', ')}` : '');
  return { reason: 'Unschedulable', summary, counts };
}
