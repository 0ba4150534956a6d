/**
 * "Why is it pending?": when nothing fits, every node is counted once, by
 * the first check it fails, and the reasons are listed most frequent first:
 *
 *   0/5 nodes fit: 3 insufficient mem, 2 constraint hostname UNIQUE
 *
 * explain() reads most verdicts off the grid instead of visiting nodes:
 *
 *          mem class ->      jm
 *   cpu   [ cpus  cpus  cpus cpus ]   cpu class < ic: every node lacks cpus
 *  class  [ ....  ....  .... .... ]
 *    ic   [ c|m   c|m   full full ]   the request's own row: cpus or mem, per node
 *         [ mem   mem   full full ]   below jm: cpus fit, mem does not
 *         [ mem   mem   full full ]   "full": every check, per node
 *
 * explainByScan() checks every node; the naive placer and the tests use it.
 */
import { check, CONSTRAINT, CORDONED, FIXED_PORT, NO_CPU, NO_MEM, NO_PORTS, NOT_READY, reasonText, type Compiled } from './feasible.js';
import { cpuClass, MEM_CLASSES, memClass } from './grid.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { Failure } from './types.js';

export function explain(c: Compiled, s: ClusterSnapshot): Failure {
  if (c.error) return invalid(c);
  const tally = newTally(c);
  tally[NOT_READY] = s.notReady;
  tally[CORDONED] = s.cordoned;
  const cells = s.grid.cells;
  const ic = cpuClass(c.cpu);
  const jm = memClass(c.mem);
  for (let cell = 0; cell < cells.length; cell++) {
    const nodes = cells[cell]!;
    if (nodes.length === 0) continue;
    const i = (cell / MEM_CLASSES) | 0;
    const j = cell - i * MEM_CLASSES;
    if (i < ic) tally[NO_CPU] += nodes.length;
    else if (j < jm && i > ic) tally[NO_MEM] += nodes.length;
    else if (j < jm) for (let k = 0; k < nodes.length; k++) tally[nodes[k]!.freeCpu < c.cpu ? NO_CPU : NO_MEM]++;
    else for (let k = 0; k < nodes.length; k++) tally[slot(check(nodes[k]!, c, s), c)]++;
  }
  return summarize(tally, c, s.nodes.length);
}

export function explainByScan(c: Compiled, s: ClusterSnapshot): Failure {
  if (c.error) return invalid(c);
  const tally = newTally(c);
  const nodes = s.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    tally[slot(!n.ready ? NOT_READY : n.unschedulable ? CORDONED : check(n, c, s), c)]++;
  }
  return summarize(tally, c, nodes.length);
}

const invalid = (c: Compiled): Failure => ({ reason: 'InvalidRequest', summary: c.error!, counts: {} });

// Tally slots: 0 (fits) .. NO_PORTS, then one per fixed port, then one per constraint.
const newTally = (c: Compiled): Int32Array => new Int32Array(NO_PORTS + 1 + c.fixed.length + c.cons.length);

function slot(code: number, c: Compiled): number {
  if (code >= CONSTRAINT) return NO_PORTS + 1 + c.fixed.length + (code - CONSTRAINT);
  if (code >= FIXED_PORT) return NO_PORTS + 1 + (code - FIXED_PORT);
  return code;
}

function codeOf(slot: number, c: Compiled): number {
  const nf = c.fixed.length;
  if (slot <= NO_PORTS) return slot;
  if (slot <= NO_PORTS + nf) return FIXED_PORT + slot - NO_PORTS - 1;
  return CONSTRAINT + slot - NO_PORTS - 1 - nf;
}

function summarize(tally: Int32Array, c: Compiled, total: number): Failure {
  const rows: [slot: number, k: number][] = [];
  for (let sl = 1; sl < tally.length; sl++) if (tally[sl]! > 0) rows.push([sl, tally[sl]!]);
  // Most frequent first; ties in the order the checks run.
  rows.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const counts: Record<string, number> = {};
  for (const [sl, k] of rows) {
    const text = reasonText(codeOf(sl, c), c);
    counts[text] = (counts[text] ?? 0) + k;
  }
  const parts = Object.entries(counts).map(([r, k]) => `${k} ${r}`);
  const summary = `${tally[0]}/${total} nodes fit` + (parts.length ? `: ${parts.join(', ')}` : '');
  return { reason: 'Unschedulable', summary, counts };
}
