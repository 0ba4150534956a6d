/**
 * The benchmark's cluster and workload, generated from a seed.
 *
 * Nodes: 16–64 cpus at 4 GiB per cpu (a few memory-optimized ones at 8),
 * 1,000 host ports each, attributes rack (50 values) and zone (3).
 * Tasks: services of 1–1,000 instances (heavy-tailed), every instance of a
 * service the same size, sizes from a 0.1 cpu / 64 MiB sidecar to a
 * 4 cpu / 16 GiB worker. ~30% of tasks ask for 1–3 ports (a few services a
 * fixed one), ~20% carry a constraint. Services arrive in random order, each
 * one's instances together, as a deploy would create them.
 */
import type { Constraint, Namespace, Node, PortSpec } from '../../pkg/api/types.js';
import { mulberry32, type Rand } from '../../pkg/scheduler/prng.js';
import type { TaskRequest } from '../../pkg/scheduler/types.js';

const GiB = 1024;

const NODE_SHAPES: [cpus: number, memGiB: number, diskGiB: number, weight: number][] = [
  [16, 64, 500, 35],
  [32, 128, 1000, 35],
  [48, 192, 1500, 15],
  [64, 256, 2000, 10],
  [32, 256, 1000, 5],
];

const TASK_SHAPES: [cpus: number, mem: number, disk: number, weight: number][] = [
  [0.1, 64, 0, 10],
  [0.25, 256, 100, 10],
  [0.5, 1 * GiB, 500, 15],
  [1, 2 * GiB, 1000, 15],
  [2, 4 * GiB, 2000, 15],
  [2, 8 * GiB, 2000, 10],
  [4, 8 * GiB, 5000, 15],
  [4, 16 * GiB, 10000, 10],
];

export const RACKS = 50;
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];
export const NAMESPACES: Namespace[] = [
  { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'web' }, spec: { weight: 2 } },
  { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'data' }, spec: { weight: 1 } },
  { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'batch' }, spec: { weight: 1 } },
  { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'ml' }, spec: { weight: 1 } },
];

function weighted<T extends readonly unknown[]>(rand: Rand, rows: readonly T[]): T {
  const total = rows.reduce((s, r) => s + (r[r.length - 1] as number), 0);
  let x = rand() * total;
  for (const r of rows) {
    x -= r[r.length - 1] as number;
    if (x < 0) return r;
  }
  return rows[rows.length - 1]!;
}

export function makeNodes(count: number, seed: number): Node[] {
  const rand = mulberry32(seed);
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const [cpus, mem, disk] = weighted(rand, NODE_SHAPES);
    const rack = i % RACKS;
    nodes.push({
      apiVersion: 'stowage/v1',
      kind: 'Node',
      metadata: { name: `node-${String(i).padStart(4, '0')}` },
      spec: {
        capacity: { cpus, mem: mem * GiB, disk: disk * GiB },
        portRanges: [{ begin: 31000, end: 31999 }],
        attributes: { rack: `rack-${String(rack).padStart(2, '0')}`, zone: ZONES[rack % ZONES.length]! },
      },
      status: { state: 'Ready', tasks: {} },
    });
  }
  return nodes;
}

export interface Workload {
  tasks: TaskRequest[];
  owners: number;
  withPorts: number;
  withConstraints: number;
}

/** Services until `count` tasks; instance counts heavy-tailed (many small, a few huge). */
export function makeTasks(count: number, seed: number): Workload {
  const rand = mulberry32(seed);
  const tasks: TaskRequest[] = [];
  let owners = 0;
  let withPorts = 0;
  let withConstraints = 0;
  while (tasks.length < count) {
    const id = owners++;
    const namespace = NAMESPACES[Math.floor(rand() * NAMESPACES.length)]!.metadata.name;
    // Pareto-ish: median ~25, mean ~50, a few services of hundreds.
    let instances = Math.min(1000, Math.max(1, Math.floor(12 / Math.pow(1 - rand() * 0.999, 0.85)) + Math.floor(rand() * 10)));
    const [cpus, mem, disk] = weighted(rand, TASK_SHAPES);
    let ports: PortSpec[] | undefined;
    const pr = rand();
    if (pr < 0.3) {
      const n = 1 + Math.floor(rand() * 3);
      ports = Array.from({ length: n }, (_, k) => ({ name: `p${k}` }));
      // A few daemons want a well-known port (inside the nodes' range, so
      // dynamic ports handed to others can take it first, as in real life).
      if (rand() < 0.05) ports[0] = { name: 'p0', hostPort: 31900 + (id % 50) };
    }
    let constraints: Constraint[] | undefined;
    const cr = rand();
    if (cr < 0.2) {
      const kind = Math.floor(rand() * 5);
      if (kind === 0) {
        constraints = [['hostname', 'UNIQUE']];
        instances = Math.min(instances, 200);
      } else if (kind === 1) constraints = [['zone', 'GROUP_BY', '3']];
      else if (kind === 2) {
        constraints = [['rack', 'MAX_PER', '2']];
        instances = Math.min(instances, 2 * RACKS);
      } else if (kind === 3) constraints = [['zone', 'CLUSTER', ZONES[id % ZONES.length]!]];
      else constraints = [['rack', 'LIKE', 'rack-[0-2][0-9]']];
    }
    const placement = rand() < 0.15 ? 'spread' : 'binpack';
    instances = Math.min(instances, count - tasks.length);
    for (let i = 0; i < instances; i++) {
      tasks.push({
        key: `${namespace}/svc${id}-${i}`,
        namespace,
        owner: `service/svc${id}`,
        resources: { cpus, mem, disk },
        ports,
        constraints,
        placement,
        priority: 0,
        created: tasks.length,
      });
      if (ports) withPorts++;
      if (constraints) withConstraints++;
    }
  }
  return { tasks, owners, withPorts, withConstraints };
}
