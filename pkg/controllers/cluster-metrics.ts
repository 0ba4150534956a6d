/**
 * The cluster's state as metrics, the way kube-state-metrics does it: while
 * this server leads, each scrape of /metrics reads the Node and Service
 * caches the loops already keep and reports
 *
 *   stowage_node_ready{node}                       1 Ready, 0 NotReady
 *   stowage_cluster_{capacity,allocated}_cpus      of the nodes that take tasks
 *   stowage_cluster_{capacity,allocated}_memory_bytes
 *   stowage_service_launch_failures{namespace,service}   the crash-loop count
 *   stowage_service_deployment_failed{namespace,service}
 *
 * (names in pkg/metrics). Read from etcd's state, not counted by a loop, so
 * a new leader reports the same figures the old one did. It writes nothing;
 * a standby reports none of it. clusterState is pure.
 */
import type { Node, Service } from '../api/types.js';
import type { InformerFactory } from '../informer/factory.js';
import type { Runnable } from '../manager/manager.js';
import { reportClusterState, type ClusterState } from '../metrics/metrics.js';

const MIB = 1024 * 1024;

/** Whether a node takes new tasks: Ready and not cordoned. */
const takesTasks = (n: Node): boolean => n.status?.state === 'Ready' && !n.spec.unschedulable && !n.status?.cordoned;

export function clusterState(nodes: readonly Node[], services: readonly Service[]): ClusterState {
  const s: ClusterState = { nodes: [], capacity: { cpus: 0, memoryBytes: 0 }, allocated: { cpus: 0, memoryBytes: 0 }, services: [] };
  for (const n of nodes) {
    s.nodes.push({ name: n.metadata.name, ready: n.status?.state === 'Ready' });
    if (!takesTasks(n)) continue;
    const cap = n.status?.capacity ?? n.spec.capacity;
    s.capacity.cpus += cap.cpus;
    s.capacity.memoryBytes += cap.mem * MIB;
    s.allocated.cpus += n.status?.allocated?.cpus ?? 0;
    s.allocated.memoryBytes += (n.status?.allocated?.mem ?? 0) * MIB;
  }
  // sums of shares like 0.1 + 0.2: keep what the nodes say, not float dust
  s.capacity.cpus = round(s.capacity.cpus);
  s.allocated.cpus = round(s.allocated.cpus);
  for (const v of services) {
    s.services.push({
      namespace: v.metadata.namespace ?? 'default',
      name: v.metadata.name,
      launchFailures: v.status?.backoff?.failures ?? 0,
      deploymentFailed: v.status?.deployment?.state === 'failed',
    });
  }
  return s;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

export class ClusterMetrics implements Runnable {
  readonly name = 'cluster-metrics';
  readonly leaderOnly = true;
  private stopReporting: (() => void) | undefined;

  constructor(private readonly informers: InformerFactory) {}

  async start(): Promise<void> {
    const nodes = await this.informers.get<Node>('Node');
    const services = await this.informers.get<Service>('Service');
    this.stopReporting?.();
    this.stopReporting = reportClusterState(() =>
      clusterState(
        nodes.list().map((x) => x.object),
        services.list().map((x) => x.object),
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopReporting?.();
    this.stopReporting = undefined;
  }
}
