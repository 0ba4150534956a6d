/**
 * "Why is it pending?": when nothing fits, every node is counted once, by
 * the first check it fails, and the reasons are listed most frequent first:
 *
 *   0/5 nodes fit: 3 insufficient mem, 2 constraint hostname UNIQUE
 *
 * This runs for every failed placement, over every node, so it counts into
 * a flat array indexed by check code rather than a map.
 */
import { check, CONSTRAINT, CORDONED, FIXED_PORT, NO_PORTS, NOT_READY, reasonText, type Compiled } from './feasible.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { Failure } from './types.js';

export function explain(c: Compiled, s: ClusterSnapshot): Failure {
  if (c.error) return { reason: 'InvalidRequest', summary: c.error, counts: {} };
  // Slots: 0..NO_PORTS, then one per fixed port, then one per constraint.
  const nf = c.fixed.length;
  const tally = new Int32Array(NO_PORTS + 1 + nf + c.cons.length);
  const nodes = s.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const code = !n.ready ? NOT_READY : n.unschedulable ? CORDONED : check(n, c, s);
    tally[code >= CONSTRAINT ? NO_PORTS + 1 + nf + (code - CONSTRAINT) : code >= FIXED_PORT ? NO_PORTS + 1 + (code - FIXED_PORT) : code]!++;
  }
  const rows: [slot: number, k: number][] = [];
  for (let slot = 1; slot < tally.length; slot++) if (tally[slot]! > 0) rows.push([slot, tally[slot]!]);
  // Most frequent first; ties in the order the checks run.
  rows.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const counts: Record<string, number> = {};
  for (const [slot, k] of rows) {
    const code = slot <= NO_PORTS ? slot : slot <= NO_PORTS + nf ? FIXED_PORT + slot - NO_PORTS - 1 : CONSTRAINT + slot - NO_PORTS - 1 - nf;
    const text = reasonText(code, c);
    counts[text] = (counts[text] ?? 0) + k;
  }
  const parts = Object.entries(counts).map(([r, k]) => `${k} ${r}`);
  const summary = `${tally[0]}/${nodes.length} nodes fit` + (parts.length ? `: ${parts.join(', ')}` : '');
  return { reason: 'Unschedulable', summary, counts };
}
