/**
 * place(): one task, one node.
 *
 *   compile ─> GROUP_BY round ─> walk the grid ─> check ─> score ─> limit ─> pick ─> ports
 *              (fewest first)    (tightest or     (first    (binpack  (stop after
 *                                 emptiest first)  failing)  /spread)  K feasible)
 *
 * GROUP_BY: round 0 admits only the values of the field holding the fewest
 * of the owner's tasks; when none of their nodes can take the task, the
 * next round admits the next count up, so the spread stays as even as
 * capacity allows. With GROUP_BY n, while fewer than n values hold tasks,
 * only new values are admitted (Marathon's guarantee).
 */
import { check, compile, OK, type Compiled } from './feasible.js';
import { explain } from './explain.js';
import { CPU_CLASSES, cpuClass, MEM_CLASSES, memClass } from './grid.js';
import type { NodeInfo } from './node-info.js';
import { score } from './rank.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { PlaceOptions, PlaceResult, TaskRequest } from './types.js';

/** Scored candidates on clusters up to this size: all of them. */
const SMALL_CLUSTER = 64;
export const BINPACK_LIMIT = 4;

export function place(req: TaskRequest, s: ClusterSnapshot, opts: PlaceOptions = {}): PlaceResult {
  return placeCompiled(compile(req, s), s, opts);
}

export function placeCompiled(c: Compiled, s: ClusterSnapshot, opts: PlaceOptions = {}): PlaceResult {
  if (c.error) return { ok: false, failure: explain(c, s) };
  const limit = opts.limit ?? defaultLimit(c, s.schedulableCount);
  const rounds = c.groupBy.length ? groupByRounds(c, s) : 1;
  for (let r = 0; r < rounds; r++) {
    if (c.groupBy.length) setRound(c, r);
    const best = search(c, s, limit);
    if (best) {
      const ports = assignPorts(best.node, c);
      return { ok: true, node: best.node.name, ports, score: best.score };
    }
  }
  return { ok: false, failure: explain(c, s) };
}

export function defaultLimit(c: Compiled, n: number): number {
  if (n <= SMALL_CLUSTER) return Infinity;
  return c.spread ? Math.max(2, Math.ceil(Math.log2(n))) : BINPACK_LIMIT;
}

interface Best {
  node: NodeInfo;
  score: number;
}

/** Walk the cells that can fit, tightest (binpack) or emptiest (spread) first. */
function search(c: Compiled, s: ClusterSnapshot, limit: number): Best | undefined {
  const cells = s.grid.cells;
  const ic = cpuClass(c.cpu);
  const jm = memClass(c.mem);
  const spanI = CPU_CLASSES - 1 - ic;
  const spanJ = MEM_CLASSES - 1 - jm;
  const maxD = spanI + spanJ;
  let best: NodeInfo | undefined;
  let bestScore = -Infinity;
  let found = 0;
  for (let k = 0; k <= maxD; k++) {
    const d = c.spread ? maxD - k : k;
    const aLo = d > spanJ ? d - spanJ : 0;
    const aHi = d < spanI ? d : spanI;
    for (let a = aLo; a <= aHi; a++) {
      const cell = cells[(ic + a) * MEM_CLASSES + (jm + d - a)]!;
      for (let i = 0; i < cell.length; i++) {
        const n = cell[i]!;
        if (check(n, c, s) !== OK) continue;
        const sc = score(n, c);
        if (sc > bestScore) {
          bestScore = sc;
          best = n;
        }
        if (++found >= limit) return { node: best!, score: bestScore };
      }
    }
  }
  return best ? { node: best, score: bestScore } : undefined;
}

/** Number of relaxation rounds; also decides Marathon's "n values first" rule. */
export function groupByRounds(c: Compiled, s: ClusterSnapshot): number {
  let rounds = 1;
  for (const g of c.groupBy) {
    g.zeroOnly = g.n > 0 && g.counts.size < g.n;
    if (g.zeroOnly) continue;
    g.levels = distinctCounts(g.counts, s.valueNodes(g.field));
    if (g.levels.length > rounds) rounds = g.levels.length;
  }
  return rounds;
}

/** Round r admits, per GROUP_BY, the values with at most the r-th lowest count. */
export function setRound(c: Compiled, r: number): void {
  for (const g of c.groupBy) {
    const levels = g.levels;
    if (levels.length === 0) continue;
    g.threshold = levels[r < levels.length ? r : levels.length - 1]!;
  }
}

/** Sorted distinct task counts over the values that have schedulable nodes. */
function distinctCounts(counts: Map<number, number>, valueNodes: readonly number[]): number[] {
  const seen = new Set<number>();
  for (let v = 0; v < valueNodes.length; v++) if (valueNodes[v]! > 0) seen.add(counts.get(v) ?? 0);
  return [...seen].sort((a, b) => a - b);
}

/** Fixed ports as asked; the others from the node's pool, round-robin. */
export function assignPorts(n: NodeInfo, c: Compiled): Record<string, number> {
  const out: Record<string, number> = {};
  const specs = c.req.ports;
  if (!specs || specs.length === 0) return out;
  const dyn = n.ports.pick(c.dyn, c.fixed) ?? [];
  let k = 0;
  specs.forEach((p, i) => {
    out[p.name || `port${i}`] = p.hostPort ? p.hostPort : dyn[k++]!;
  });
  return out;
}
