/**
 * Ranking: how good a feasible node is for a request (higher is better).
 *
 * binpack — leave nodes full: 20 - (10^freeCpu + 10^freeMem), with free the
 *   fraction of the node left after placing (Nomad's fit score). The power
 *   punishes leaving much of either resource, so a task goes where it
 *   closes a gap on both, not where it strands memory behind full cpus.
 * spread — leave nodes empty, and keep an owner's tasks apart: the mean
 *   fraction left free, minus one per task of the owner already there.
 */
import type { Compiled } from './feasible.js';
import type { NodeInfo } from './node-info.js';

export function binpackScore(n: NodeInfo, c: Compiled): number {
  const fc = n.capCpu > 0 ? (n.freeCpu - c.cpu) / n.capCpu : 0;
  const fm = n.capMem > 0 ? (n.freeMem - c.mem) / n.capMem : 0;
  return 20 - (Math.pow(10, fc) + Math.pow(10, fm));
}

export function spreadScore(n: NodeInfo, c: Compiled): number {
  const fc = n.capCpu > 0 ? (n.freeCpu - c.cpu) / n.capCpu : 0;
  const fm = n.capMem > 0 ? (n.freeMem - c.mem) / n.capMem : 0;
  const mine = c.owner ? (c.owner.byNode.get(n) ?? 0) : 0;
  return (fc + fm) / 2 - mine;
}

export function score(n: NodeInfo, c: Compiled): number {
  return c.spread ? spreadScore(n, c) : binpackScore(n, c);
}
