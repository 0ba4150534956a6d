/** Builders for the scheduler's unit tests. */
import type { Node, NodeAllocation, Task, TaskState } from '../api/types.js';
import { ClusterSnapshot } from './snapshot.js';
import type { TaskRequest } from './types.js';

export interface NodeOpts {
  cpus?: number;
  mem?: number;
  disk?: number;
  ports?: [number, number][];
  attrs?: Record<string, string>;
  state?: 'Ready' | 'NotReady';
  unschedulable?: boolean;
  tasks?: Record<string, NodeAllocation>;
}

export function mkNode(name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'stowage/v1',
    kind: 'Node',
    metadata: { name },
    spec: {
      capacity: { cpus: o.cpus ?? 4, mem: o.mem ?? 4096, disk: o.disk ?? 10000 },
      portRanges: (o.ports ?? [[31000, 31009]]).map(([begin, end]) => ({ begin, end })),
      attributes: o.attrs ?? {},
      unschedulable: o.unschedulable,
    },
    status: { state: o.state ?? 'Ready', tasks: o.tasks ?? {} },
  };
}

export function mkReq(key: string, o: Partial<TaskRequest> & { cpus?: number; mem?: number; disk?: number } = {}): TaskRequest {
  const ns = o.namespace ?? 'default';
  return {
    key: key.includes('/') ? key : `${ns}/${key}`,
    namespace: ns,
    owner: o.owner,
    resources: o.resources ?? { cpus: o.cpus ?? 0.1, mem: o.mem ?? 32, disk: o.disk ?? 0 },
    ports: o.ports,
    constraints: o.constraints,
    placement: o.placement,
    priority: o.priority,
    created: o.created,
  };
}

export function mkTask(name: string, o: { ns?: string; owner?: string; node?: string; state?: TaskState; cpus?: number; mem?: number } = {}): Task {
  return {
    apiVersion: 'stowage/v1',
    kind: 'Task',
    metadata: { name, namespace: o.ns ?? 'default' },
    spec: { image: 'x', owner: o.owner, resources: { cpus: o.cpus ?? 0.1, mem: o.mem ?? 32, disk: 0 } },
    status: { state: o.state ?? (o.node ? 'Running' : 'Pending'), nodeName: o.node },
  };
}

/** A snapshot of nodes in the order given (seed chosen so order is irrelevant to the test). */
export function snap(nodes: Node[], seed = 7): ClusterSnapshot {
  return ClusterSnapshot.from(nodes, [], { seed });
}

/** Place `count` tasks of one owner, assuming each; returns the node names in order (or the failure summary). */
import { place } from './place.js';
export function placeMany(s: ClusterSnapshot, count: number, base: Partial<TaskRequest> & { cpus?: number; mem?: number }, prefix = 't'): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const req = mkReq(`${prefix}${i}`, base);
    const r = place(req, s);
    if (!r.ok) {
      out.push(`FAIL ${r.failure.summary}`);
      continue;
    }
    s.assume(req, r.node, r.ports);
    out.push(r.node);
  }
  return out;
}

export function tally(xs: string[], f: (x: string) => string = (x) => x): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) m[f(x)] = (m[f(x)] ?? 0) + 1;
  return m;
}
