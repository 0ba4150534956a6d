/**
 * The baseline the benchmark compares against: scan every node in list
 * order and take the first that passes the same checks (no index, no
 * scoring). Same GROUP_BY rounds, ports and failure explanation as place().
 */
import { check, compile, OK } from './feasible.js';
import { explainByScan } from './explain.js';
import { assignPorts, groupByRounds, setRound } from './place.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { PlaceResult, TaskRequest } from './types.js';

export function placeNaive(req: TaskRequest, s: ClusterSnapshot): PlaceResult {
  const c = compile(req, s);
  if (c.error) return { ok: false, failure: explainByScan(c, s) };
  const rounds = c.groupBy.length ? groupByRounds(c, s) : 1;
  for (let r = 0; r < rounds; r++) {
    if (c.groupBy.length) setRound(c, r);
    for (const n of s.nodes) {
      if (!n.schedulable || check(n, c, s) !== OK) continue;
      return { ok: true, node: n.name, ports: assignPorts(n, c), score: 0 };
    }
  }
  return { ok: false, failure: explainByScan(c, s) };
}
