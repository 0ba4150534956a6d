/**
 * Every Stowage metric of the server and the agent, defined once. Names
 * follow Prometheus conventions (`promtool check metrics` passes): counters
 * end in _total, durations are seconds, sizes bytes.
 *
 * Each process serves only what it owns, from a registry of its own:
 *
 *   serverRegistry  `stowage server`: API, watch streams, election, the
 *                   loops, the scheduler, services, jobs, the cluster's state
 *   agentRegistry   `stowage agent`: tasks, containers, checks, usage
 *   both            what either process does: etcd requests and refusals,
 *                   Events dropped; and prom-client's process metrics
 *                   (collectDefaults, minus the three gauges promtool flags)
 *   proxyRegistry   `stowage proxy`: pkg/metrics/proxy.ts
 *
 * so an agent does not export the loops' series at 0, nor a server the
 * agent's. A metric says whose it is in `registers` (SERVER, AGENT, BOTH).
 *
 * Counters an alert takes `increase()` of start at 0 for every label value
 * known up front: a series born at 1 would hide its first increment.
 * manifests/prometheus/rules.yml is written against these names
 * (rules.test.ts checks that every name it uses is defined here).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What `stowage server` serves at /metrics. */
export const serverRegistry = new Registry();
/** What `stowage agent` serves at /metrics. */
export const agentRegistry = new Registry();

const SERVER = [serverRegistry];
const AGENT = [agentRegistry];
const BOTH = [serverRegistry, agentRegistry];

const LATENCY = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const FLAGGED = new Set(['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']);
const withDefaults = new WeakSet<Registry>();

/** prom-client's process and Node.js metrics in a process's registry, without the gauges named like counters. */
export function collectDefaults(registry: Registry): void {
  if (withDefaults.has(registry)) return;
  withDefaults.add(registry);
  collectDefaultMetrics({ register: registry });
  for (const name of FLAGGED) registry.removeSingleMetric(name);
}

// ======================== both processes ========================

// ---- etcd ----
export const etcdRequestDuration = new Histogram({
  name: 'stowage_etcd_request_duration_seconds',
  help: 'Latency of unary etcd requests (one attempt on one member), by operation (range, txn, put, deleteRange, leaseGrant, ...).',
  labelNames: ['op'] as const,
  buckets: LATENCY,
  registers: BOTH,
});
export const etcdRefused = new Counter({
  name: 'stowage_etcd_refused_total',
  help: 'Transactions refused for good (a bug): over_budget (not sent: over --max-txn-ops) or etcd (etcd said INVALID_ARGUMENT or similar).',
  labelNames: ['reason'] as const,
  registers: BOTH,
});

// ---- events ----
export const eventsDropped = new Counter({
  name: 'stowage_events_dropped_total',
  help: 'Events not written because their recorder had used its budget of new Event objects (a burst, then a steady rate).',
  labelNames: ['source'] as const,
  registers: BOTH,
});

// ======================== stowage server ========================

// ---- API server ----
export const apiRequests = new Counter({
  name: 'stowage_api_requests_total',
  help: 'API requests by verb, kind and HTTP status code.',
  labelNames: ['verb', 'kind', 'code'] as const,
  registers: SERVER,
});
export const apiLatency = new Histogram({
  name: 'stowage_api_request_duration_seconds',
  help: 'API request latency by verb and kind.',
  labelNames: ['verb', 'kind'] as const,
  buckets: LATENCY,
  registers: SERVER,
});
export const watchStreams = new Gauge({
  name: 'stowage_api_watch_streams',
  help: 'Open Server-Sent Events watch streams.',
  registers: SERVER,
});
export const watchCut = new Counter({
  name: 'stowage_api_watch_cut_total',
  help: 'Watch streams cut off because their client read too slowly.',
  registers: SERVER,
});
export const watchQueuedBytes = new Gauge({
  name: 'stowage_api_watch_queued_bytes',
  help: 'Bytes of events waiting for slow watch clients, all streams together.',
  registers: SERVER,
});
export const watchReplays = new Gauge({
  name: 'stowage_api_watch_replays',
  help: 'Watch streams replaying history from etcd (resumes from before the watch cache window).',
  registers: SERVER,
});
export const watchWindowEvents = new Gauge({
  name: 'stowage_api_watch_window_events',
  help: 'Recent events the watch cache keeps for resuming streams.',
  registers: SERVER,
});
export const watchWindowBytes = new Gauge({
  name: 'stowage_api_watch_window_bytes',
  help: 'Bytes of the recent events the watch cache keeps.',
  registers: SERVER,
});

// ---- etcd housekeeping (the leader's; pkg/controllers/housekeeping) ----
export const etcdCompactedRevision = new Gauge({
  name: 'stowage_etcd_compacted_revision',
  help: 'The revision the leader last compacted etcd to (--compaction-interval); 0 until its first compaction.',
  registers: SERVER,
});
export const etcdDbSize = new Gauge({
  name: 'stowage_etcd_db_size_bytes',
  help: "Size of etcd's database (Status dbSize of the member asked), read by the leader; absent on standbys.",
  registers: SERVER,
});
export const etcdQuota = new Gauge({
  name: 'stowage_etcd_quota_bytes',
  help: "etcd's backend quota as the server was told (--etcd-quota-bytes): past it etcd refuses every write.",
  registers: SERVER,
});

// ---- leader election ----
export const leader = new Gauge({
  name: 'stowage_leader',
  help: '1 while this server is the elected leader, else 0.',
  registers: SERVER,
});
export const leaderTransitions = new Counter({
  name: 'stowage_leader_transitions_total',
  help: 'Times this server became leader.',
  registers: SERVER,
});

// ---- loops ----
export const reconcileTotal = new Counter({
  name: 'stowage_reconcile_total',
  help: 'Reconciles by controller and result (success, requeue, error, fenced, refused).',
  labelNames: ['controller', 'result'] as const,
  registers: SERVER,
});
export const reconcileDuration = new Histogram({
  name: 'stowage_reconcile_duration_seconds',
  help: 'Time spent in one reconcile, by controller.',
  labelNames: ['controller'] as const,
  buckets: LATENCY,
  registers: SERVER,
});
export const workqueueDepth = new Gauge({
  name: 'stowage_workqueue_depth',
  help: 'Keys waiting in a controller work queue.',
  labelNames: ['controller'] as const,
  registers: SERVER,
});
export const workqueueWait = new Histogram({
  name: 'stowage_workqueue_wait_seconds',
  help: 'Time a key waited in a controller work queue before a worker took it.',
  labelNames: ['controller'] as const,
  buckets: LATENCY,
  registers: SERVER,
});
/** Each running controller's queue, read at scrape time: controller -> age of its oldest retried key (seconds). */
const retryAges = new Set<{ controller: string; seconds: () => number }>();
export const workqueueOldestRetry = new Gauge({
  name: 'stowage_workqueue_oldest_retry_seconds',
  help: 'How long the key a controller has been retrying longest has kept failing (0 when none fails).',
  labelNames: ['controller'] as const,
  registers: SERVER,
  collect() {
    // Only running controllers: one stopped (leadership lost) drops out of the gauge.
    this.reset();
    const max = new Map<string, number>();
    for (const r of retryAges) max.set(r.controller, Math.max(max.get(r.controller) ?? 0, r.seconds()));
    for (const [controller, v] of max) this.set({ controller }, v);
  },
});
/** Report a controller's oldest retry age until the returned function is called. */
export function reportOldestRetry(controller: string, seconds: () => number): () => void {
  const r = { controller, seconds };
  retryAges.add(r);
  return () => void retryAges.delete(r);
}
export const fencedWritesRefused = new Counter({
  name: 'stowage_fenced_writes_refused_total',
  help: 'Writes refused because this process was no longer the leader.',
  registers: SERVER,
});

// ---- scheduler ----
export const schedulerCycleDuration = new Histogram({
  name: 'stowage_scheduler_cycle_duration_seconds',
  help: 'Time to decide one scheduling cycle (DRF and placement, before binding).',
  buckets: LATENCY,
  registers: SERVER,
});
export const schedulerPlacements = new Counter({
  name: 'stowage_scheduler_placements_total',
  help: 'Placements by result: bound, or conflict (lost a race; placed again).',
  labelNames: ['result'] as const,
  registers: SERVER,
});
export const schedulerPlacementFailures = new Counter({
  name: 'stowage_scheduler_placement_failures_total',
  help: 'Tasks a scheduling cycle left waiting, by reason (Unschedulable: no node fits; QuotaExceeded; InvalidRequest); a task that waits through many cycles counts in each.',
  labelNames: ['reason'] as const,
  registers: SERVER,
});
export const schedulerPending = new Gauge({
  name: 'stowage_scheduler_pending_tasks',
  help: 'Tasks left waiting after the last scheduling cycle.',
  registers: SERVER,
});

// ---- services ----
export const serviceTasksCreated = new Counter({
  name: 'stowage_service_tasks_created_total',
  help: 'Tasks the services loop created.',
  registers: SERVER,
});
export const serviceTasksKilled = new Counter({
  name: 'stowage_service_tasks_killed_total',
  help: 'Tasks the services loop asked to stop, by reason (ScaleDown, Rollout, Unhealthy).',
  labelNames: ['reason'] as const,
  registers: SERVER,
});
export const serviceTaskEnds = new Counter({
  name: 'stowage_service_task_ends_total',
  help: 'Ended tasks the services loop recorded and deleted, by final state.',
  labelNames: ['state'] as const,
  registers: SERVER,
});
export const serviceDeployments = new Counter({
  name: 'stowage_service_deployments_total',
  help: 'Deployments by outcome (started, complete, failed).',
  labelNames: ['result'] as const,
  registers: SERVER,
});

// ---- jobs ----
export const jobRuns = new Counter({
  name: 'stowage_job_runs_total',
  help: 'Job runs that ended, by result (Succeeded, Failed).',
  labelNames: ['result'] as const,
  registers: SERVER,
});
export const jobStartLateness = new Histogram({
  name: 'stowage_job_start_lateness_seconds',
  help: "Time from a scheduled run's slot to its first task Running.",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: SERVER,
});
export const jobSlotsNotRun = new Counter({
  name: 'stowage_job_slots_not_run_total',
  help: 'Slots recorded Missed or Skipped, by state and reason (LeaderDown, OutsideCatchUpWindow, Overlap, Suspended, StartingDeadlineExceeded).',
  labelNames: ['state', 'reason'] as const,
  registers: SERVER,
});
export const jobRunsActive = new Gauge({
  name: 'stowage_job_runs_active',
  help: 'Job runs not ended yet.',
  registers: SERVER,
});
for (const result of ['Succeeded', 'Failed']) jobRuns.inc({ result }, 0);
for (const reason of ['LeaderDown', 'OutsideCatchUpWindow', 'StartingDeadlineExceeded']) jobSlotsNotRun.inc({ state: 'Missed', reason }, 0);
for (const reason of ['Overlap', 'Suspended']) jobSlotsNotRun.inc({ state: 'Skipped', reason }, 0);
for (const result of ['started', 'complete', 'failed']) serviceDeployments.inc({ result }, 0);
for (const result of ['bound', 'conflict']) schedulerPlacements.inc({ result }, 0);
for (const reason of ['Unschedulable', 'QuotaExceeded', 'InvalidRequest']) schedulerPlacementFailures.inc({ reason }, 0);

// ---- cluster state: what the leader's caches hold, read at scrape time ----
/** The figures the leader reports (pkg/controllers/cluster-metrics.ts computes them). */
export interface ClusterState {
  nodes: { name: string; ready: boolean }[];
  /** Of the nodes that take tasks: Ready and not cordoned. */
  capacity: { cpus: number; memoryBytes: number };
  allocated: { cpus: number; memoryBytes: number };
  services: { namespace: string; name: string; launchFailures: number; deploymentFailed: boolean }[];
}
let clusterSource: (() => ClusterState) | undefined;
let clusterRead: { at: number; state: ClusterState | undefined } | undefined;
/** One read per scrape, however many gauges ask (they are collected one after the other). */
function clusterState(): ClusterState | undefined {
  const now = Date.now();
  if (!clusterRead || now - clusterRead.at > 500) clusterRead = { at: now, state: clusterSource?.() };
  return clusterRead.state;
}
/** Report the cluster's state (the leader does, while it leads) until the returned function is called. */
export function reportClusterState(read: () => ClusterState): () => void {
  clusterSource = read;
  clusterRead = undefined;
  return () => {
    if (clusterSource !== read) return;
    clusterSource = undefined;
    clusterRead = undefined;
  };
}
export const nodeReady = new Gauge({
  name: 'stowage_node_ready',
  help: 'Per node: 1 while Ready, 0 while NotReady (the leader reports it).',
  labelNames: ['node'] as const,
  registers: SERVER,
  collect() {
    this.reset();
    for (const n of clusterState()?.nodes ?? []) this.set({ node: n.name }, n.ready ? 1 : 0);
  },
});
const clusterGauge = (name: string, help: string, value: (s: ClusterState) => number) =>
  new Gauge({
    name,
    help: `${help} (the leader reports it; 0 on a standby server).`,
    registers: SERVER,
    collect() {
      const s = clusterState();
      this.set(s ? value(s) : 0);
    },
  });
export const clusterCapacityCpus = clusterGauge('stowage_cluster_capacity_cpus', 'Cpus of the nodes that take tasks (Ready, not cordoned)', (s) => s.capacity.cpus);
export const clusterAllocatedCpus = clusterGauge('stowage_cluster_allocated_cpus', 'Cpus allocated to tasks on the nodes that take tasks', (s) => s.allocated.cpus);
export const clusterCapacityMemory = clusterGauge('stowage_cluster_capacity_memory_bytes', 'Memory of the nodes that take tasks (Ready, not cordoned)', (s) => s.capacity.memoryBytes);
export const clusterAllocatedMemory = clusterGauge('stowage_cluster_allocated_memory_bytes', 'Memory allocated to tasks on the nodes that take tasks', (s) => s.allocated.memoryBytes);
export const serviceLaunchFailures = new Gauge({
  name: 'stowage_service_launch_failures',
  help: "Per service: consecutive failed launches of its current template (the crash-loop backoff's count; 0 once a task stayed ready for a minute).",
  labelNames: ['namespace', 'service'] as const,
  registers: SERVER,
  collect() {
    this.reset();
    for (const v of clusterState()?.services ?? []) this.set({ namespace: v.namespace, service: v.name }, v.launchFailures);
  },
});
export const serviceDeploymentFailed = new Gauge({
  name: 'stowage_service_deployment_failed',
  help: "Per service: 1 while its newest deployment has failed (no progress within its deadline; it turns complete if the revision becomes ready after all), else 0.",
  labelNames: ['namespace', 'service'] as const,
  registers: SERVER,
  collect() {
    this.reset();
    for (const v of clusterState()?.services ?? []) this.set({ namespace: v.namespace, service: v.name }, v.deploymentFailed ? 1 : 0);
  },
});

// ======================== stowage agent ========================

// ---- agent ----
export const agentTasks = new Gauge({
  name: 'stowage_agent_tasks',
  help: 'Tasks this agent process holds, by the state it last reported.',
  labelNames: ['state'] as const,
  registers: AGENT,
});
export const taskCpuUsage = new Gauge({
  name: 'stowage_task_cpu_usage_cores',
  help: "Cores a running task's container used over the last stats sample (Docker's cpu delta; synthetic on sim nodes).",
  labelNames: ['namespace', 'task', 'node'] as const,
  registers: AGENT,
});
export const taskMemoryUsage = new Gauge({
  name: 'stowage_task_memory_usage_bytes',
  help: "Memory a running task's container used at the last stats sample, page cache excluded (synthetic on sim nodes).",
  labelNames: ['namespace', 'task', 'node'] as const,
  registers: AGENT,
});
export const nodeCpuUsage = new Gauge({
  name: 'stowage_node_cpu_usage_cores',
  help: "Cores the node's running tasks used, summed over the last stats sample.",
  labelNames: ['node'] as const,
  registers: AGENT,
});
export const nodeMemoryUsage = new Gauge({
  name: 'stowage_node_memory_usage_bytes',
  help: "Memory the node's running tasks used, summed over the last stats sample.",
  labelNames: ['node'] as const,
  registers: AGENT,
});
export const usageSamples = new Counter({
  name: 'stowage_agent_usage_samples_total',
  help: 'Container stats samples the agent took, by result (ok, error).',
  labelNames: ['result'] as const,
  registers: AGENT,
});
export const usageWrites = new Counter({
  name: 'stowage_agent_usage_status_writes_total',
  help: 'Node status writes carrying usage, by result (written, conflict, error); skipped samples that changed nothing meaningful are not written.',
  labelNames: ['result'] as const,
  registers: AGENT,
});
export const agentTaskStart = new Histogram({
  name: 'stowage_agent_task_start_seconds',
  help: 'Time from the agent seeing a task bound to it until the task is Running.',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: AGENT,
});
export const agentStatusWrites = new Counter({
  name: 'stowage_agent_status_writes_total',
  help: 'Task status writes by result (ok, conflict, gone, error).',
  labelNames: ['result'] as const,
  registers: AGENT,
});
export const agentStatusTxns = new Counter({
  name: 'stowage_agent_status_transactions_total',
  help: 'Transactions the agent committed to write task status (many statuses each).',
  registers: AGENT,
});
export const agentRuntimeOps = new Counter({
  name: 'stowage_agent_runtime_operations_total',
  help: 'Container runtime operations by operation and result.',
  labelNames: ['op', 'result'] as const,
  registers: AGENT,
});
export const agentRuntimeOpDuration = new Histogram({
  name: 'stowage_agent_runtime_operation_duration_seconds',
  help: "Time the container runtime took for one operation (start: the engine's create and start; stop: with the kill grace), by operation.",
  labelNames: ['op'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: AGENT,
});
export const agentHealthChecks = new Counter({
  name: 'stowage_agent_health_checks_total',
  help: 'Health check probes run by the agent, by protocol and result.',
  labelNames: ['protocol', 'result'] as const,
  registers: AGENT,
});
export const agentReadinessChecks = new Counter({
  name: 'stowage_agent_readiness_checks_total',
  help: 'Readiness check probes run by the agent, by result.',
  labelNames: ['result'] as const,
  registers: AGENT,
});
export const agentLeaseLost = new Counter({
  name: 'stowage_agent_lease_lost_total',
  help: 'Times the agent lost its heartbeat lease and had to register again.',
  registers: AGENT,
});
