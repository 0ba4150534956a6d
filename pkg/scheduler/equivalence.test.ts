/**
 * The grid is an index, not a filter: on random clusters and requests,
 * place() must find a node exactly when the naive full scan does, the node
 * it picks must pass every check, and when nothing fits both must explain
 * it the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Constraint } from '../api/types.js';
import { check, compile, OK } from './feasible.js';
import { placeNaive } from './naive.js';
import type { NodeInfo } from './node-info.js';
import { groupByRounds, place, setRound } from './place.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { TaskRequest } from './types.js';
import { mulberry32 } from './prng.js';
import { mkNode, mkReq, snap } from './testkit.js';

const CONSTRAINTS: Constraint[][] = [
  [],
  [['hostname', 'UNIQUE']],
  [['rack', 'MAX_PER', '2']],
  [['zone', 'GROUP_BY']],
  [['zone', 'GROUP_BY', '3']],
  [['rack', 'CLUSTER', 'r1']],
  [['rack', 'LIKE', 'r[0-2]']],
  [['rack', 'UNLIKE', 'r[0-2]']],
  [['zone', 'IS', 'z1'], ['hostname', 'UNIQUE']],
];

function passesSomeRound(n: NodeInfo, req: TaskRequest, s: ClusterSnapshot): boolean {
  const c = compile(req, s);
  const rounds = groupByRounds(c, s);
  for (let r = 0; r < rounds; r++) {
    setRound(c, r);
    if (check(n, c, s) === OK) return true;
  }
  return false;
}

describe('place() and the naive scan agree on feasibility', () => {
  let compared = 0;
  for (let seed = 1; seed <= 40; seed++) {
    it(`random cluster ${seed}`, () => {
      const rand = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const nodes = Array.from({ length: 5 + Math.floor(rand() * 120) }, (_, i) =>
        mkNode(`n${i}`, {
          cpus: pick([1, 2, 4, 8, 16, 64]),
          mem: pick([512, 2048, 8192, 65536]),
          disk: pick([0, 100, 10000]),
          ports: [[31000, 31000 + Math.floor(rand() * 4)]],
          attrs: rand() < 0.9 ? { rack: `r${Math.floor(rand() * 6)}`, zone: `z${Math.floor(rand() * 3)}` } : {},
          state: rand() < 0.05 ? 'NotReady' : 'Ready',
          unschedulable: rand() < 0.05,
        }),
      );
      const fast = snap(nodes, seed);
      const slow = snap(nodes, seed);
      for (let i = 0; i < 300; i++) {
        const req = mkReq(`t${i}`, {
          owner: `service/s${Math.floor(rand() * 4)}`,
          cpus: pick([0.1, 0.5, 1, 2, 3.7, 8]),
          mem: pick([32, 256, 1000, 4096, 20000]),
          disk: pick([0, 0, 50, 5000]),
          ports: rand() < 0.3 ? [{ name: 'a' }, ...(rand() < 0.3 ? [{ name: 'b', hostPort: 31001 }] : [])] : undefined,
          constraints: pick(CONSTRAINTS),
          placement: rand() < 0.3 ? 'spread' : 'binpack',
        });
        const a = place(req, fast);
        const b = placeNaive(req, slow);
        assert.equal(a.ok, b.ok, `task ${i}: ${a.ok ? a.node : a.failure.summary} vs ${b.ok ? b.node : b.failure.summary}`);
        if (!a.ok || !b.ok) {
          // The grid-read explanation equals the node-by-node one.
          if (!a.ok && !b.ok) {
            assert.deepEqual(a.failure, b.failure);
            compared++;
          }
          continue;
        }
        const n = fast.node(a.node)!;
        assert.ok(n.schedulable);
        assert.ok(passesSomeRound(n, req, fast), `task ${i} on ${n.name} fails its checks`);
        fast.assume(req, a.node, a.ports);
        // Keep both snapshots identical so the comparison stays exact.
        slow.assume(req, a.node, a.ports);
      }
    });
  }
  it('compared many failures', () => assert.ok(compared > 1000, `only ${compared}`));
});
