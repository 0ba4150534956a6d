/**
 * Resource types: the Kubernetes shape (apiVersion, kind, metadata, spec,
 * status) in Marathon's units (cpus as shares of a core; mem and disk in MiB;
 * named host ports). The JSON Schemas in manifests/schemas/ are the contract
 * for what users may write; these types are what the code reads.
 */

export const API_VERSION = 'stowage/v1';

export interface ObjectMeta {
  name: string;
  /** Absent on cluster-scoped kinds (Namespace, Node). */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by the server on create. */
  uid?: string;
  /** The spec key's etcd mod_revision, as a decimal string. */
  resourceVersion?: string;
  /** Bumped by the server each time the spec changes. */
  generation?: number;
  creationTimestamp?: string;
}

export interface Resource<S = unknown, T = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: S;
  status?: T;
}

export interface Resources {
  cpus: number;
  mem: number;
  disk: number;
}

export interface PortSpec {
  name: string;
  /** A fixed host port; 0 or absent = any free port from the node's range. */
  hostPort?: number;
  /**
   * Services only: the stable port on every host's proxy (Marathon's servicePort) that
   * forwards to the ready instances. 0 = assign one from the cluster's range; absent = none.
   */
  servicePort?: number;
}

/** ["field", "OPERATOR", "value"?] as Marathon writes them. */
export type Constraint = [string, string] | [string, string, string];

export interface HealthCheck {
  protocol: 'HTTP' | 'TCP' | 'COMMAND';
  /** Name of a port of the task (or its index as a string); HTTP and TCP. */
  port?: string;
  portIndex?: number;
  path?: string;
  command?: string[];
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
}

/**
 * Marathon's readiness check: it must pass once before a task counts as
 * ready in a deployment (cache warming, migrations); health checks handle
 * liveness. HTTP only: tasks serve no TLS here.
 */
export interface ReadinessCheck {
  name?: string;
  protocol: 'HTTP';
  /** Name of a port of the task (or its index as a string). */
  port: string;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  httpStatusCodesForReady: number[];
}

/**
 * An env value taken from a Secret of the task's namespace (`{secret: db, key: password}`).
 * Tasks keep the reference; the agent resolves it when it starts the container.
 */
export interface SecretRef {
  secret: string;
  key: string;
}
/** A literal value, or a reference to a Secret's key. */
export type EnvValue = string | SecretRef;

/** What a Service or Job runs: copied into every Task it creates. */
export interface TaskTemplate {
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, EnvValue>;
  resources: Resources;
  ports?: PortSpec[];
  constraints?: Constraint[];
  healthChecks?: HealthCheck[];
  /** Services only (at most one). */
  readinessChecks?: ReadinessCheck[];
  killGracePeriodSeconds?: number;
  /** Placement ranking for this workload. */
  placement?: 'binpack' | 'spread';
  priority?: number;
  /** The user the container runs as: "1000", "1000:1000", or a name the image knows. Default: the image's. */
  user?: string;
  /** The container's root filesystem is mounted read-only. */
  readOnlyRootFilesystem?: boolean;
  /** Capabilities beyond the default (NET_BIND_SERVICE): only those the namespace's allowCapabilities lists. */
  capabilities?: { add?: string[] };
  /** Host directories mounted into the container: only under the namespace's allowHostPaths. */
  volumes?: Volume[];
}

/** A host path mounted into a task's container. */
export interface Volume {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

/** What a task's namespace allowed it beyond the default, stamped on the task as bound (status.allowed). */
export interface TaskAllowance {
  capabilities: string[];
  /** Entries of the namespace's allowHostPaths (paths or prefixes). */
  hostPaths: string[];
}

// ---- Namespace ----
export interface NamespaceSpec {
  weight: number;
  quota?: Partial<Resources>;
  /** Capabilities its tasks may add (besides NET_BIND_SERVICE, allowed everywhere). Only an admin writes a Namespace. */
  allowCapabilities?: string[];
  /** Host paths (each also a prefix: "/srv/data" covers "/srv/data/x") its tasks may mount. */
  allowHostPaths?: string[];
}
export interface NamespaceStatus {
  allocated?: Resources;
  dominantShare?: number;
}
export type Namespace = Resource<NamespaceSpec, NamespaceStatus>;

// ---- Node ----
export interface PortRange {
  begin: number;
  end: number;
}
export interface NodeSpec {
  capacity: Resources;
  portRanges: PortRange[];
  attributes: Record<string, string>;
  /** host:port of the agent's --listen endpoint (logs, health). */
  address?: string;
  version?: string;
  unschedulable?: boolean;
  driver?: 'docker' | 'sim';
}
export type NodeState = 'Ready' | 'NotReady';
export interface NodeAllocation extends Resources {
  /** Ports taken on this node. */
  ports: number[];
}
export interface NodeStatus {
  state: NodeState;
  capacity?: Resources;
  allocated?: Resources & { ports: number };
  free?: Resources & { ports: number };
  cordoned?: boolean;
  /** Task key -> what it holds on this node. Written in the binding transaction. */
  tasks?: Record<string, NodeAllocation>;
  lastTransitionTime?: string;
  reason?: string;
  /** What the node's running tasks use, as its agent last sampled it (written only on a meaningful change). */
  usage?: NodeUsage;
}
export interface TaskUsage {
  /** Cores in use. */
  cpus: number;
  memBytes: number;
}
export interface NodeUsage extends TaskUsage {
  /** Mem in MiB (the unit of capacity and allocated). */
  mem: number;
  /** When the sample was taken (ISO 8601). */
  at: string;
  /** Per running task, by "<namespace>/<name>". */
  tasks: Record<string, TaskUsage>;
}
export type Node = Resource<NodeSpec, NodeStatus>;

// ---- Service ----
export interface UpgradeStrategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}
export interface ServiceSpec extends TaskTemplate {
  instances: number;
  upgradeStrategy: UpgradeStrategy;
  progressDeadlineSeconds: number;
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  dependencies?: string[];
  /**
   * Seconds a task the services loop kills stays out of endpoints, still running, before its
   * container is stopped: the proxies stop sending it new connections and open ones finish.
   */
  drainSeconds?: number;
  /**
   * Set by the server (`stowctl rollout restart`), never by a user's write:
   * tasks created before it are replaced like those of an old template.
   */
  restartedAt?: string;
}
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
export type DeploymentState = 'progressing' | 'complete' | 'failed';
export interface Deployment {
  state: DeploymentState;
  revision: number;
  startedAt?: string;
  message?: string;
  /** The instances this deployment aims at (a scale starts a new deployment). */
  instances?: number;
  /** Last time the deployment made progress (more new tasks ready, fewer old ones); the deadline counts from here. */
  progressAt?: string;
  /** High-water mark of ready tasks of the new revision, and low-water mark of old tasks: what counts as progress. */
  maxReady?: number;
  minOld?: number;
  finishedAt?: string;
  /** The restart this deployment rolls out (spec.restartedAt), if it is one. */
  restartedAt?: string;
}
/** One template the service has run, for `rollout undo`. */
export interface ServiceRevision {
  revision: number;
  hash: string;
  template: TaskTemplate;
  createdAt: string;
}
/** A task that ended without being asked to, as describe shows it. */
export interface TaskFailure {
  task: string;
  revision?: number;
  state: TaskState | 'Unhealthy';
  exitCode?: number;
  reason?: string;
  message?: string;
  /** The container's last output, when it failed (TaskStatus.output). */
  output?: string;
  node?: string;
  at: string;
}
export interface LaunchBackoff {
  /** Consecutive failures counted toward the launch delay (reset by a new template or a task ready long enough). */
  failures: number;
  lastFailureAt?: string;
  /** The template these failures belong to. */
  hash?: string;
}
export interface ServiceStatus {
  /** Desired instances, as last observed. */
  instances: number;
  /** Live tasks in state Running (not being killed). */
  running: number;
  /** Live tasks that are Running and Healthy, or Running when there are no health checks. */
  healthy: number;
  /** With readiness checks: healthy live tasks whose readiness check passed (what a rollout counts). */
  ready?: number;
  /** Live tasks of every revision (not being killed). */
  tasks?: number;
  /** Live tasks of the current revision. */
  updated?: number;
  /** Tasks being killed that have not ended yet. */
  terminating?: number;
  deployment?: Deployment;
  conditions?: Condition[];
  delayedUntil?: string;
  observedGeneration?: number;
  /** The last 10 templates, oldest first. */
  revisions?: ServiceRevision[];
  /** The last 10 unexpected task ends, newest first. */
  lastFailures?: TaskFailure[];
  backoff?: LaunchBackoff;
  /** When tasks were killed for health within the brake window (ISO 8601). */
  healthKills?: string[];
}
export type Service = Resource<ServiceSpec, ServiceStatus>;

// ---- Job ----
/** What happens when a run is due while another is active (Kubernetes' words, Temporal's BufferOne). */
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace' | 'BufferOne';
/** After downtime: which slots inside the window still run. */
export interface CatchUp {
  windowSeconds: number;
  mode: 'latest' | 'all' | 'none';
}
/**
 * Daylight saving in the job's time zone: a wall-clock slot in the spring
 * gap runs at the first valid instant after it (`next`) or not at all
 * (`skip`); a slot in the repeated autumn hour runs once (`once`, the first
 * time that wall clock comes) or at both instants (`twice`).
 */
export interface DstPolicy {
  gap: 'next' | 'skip';
  overlap: 'once' | 'twice';
}
/** When a dependent job runs: every parent's run succeeded (Chronos), every one ended, or one failed. */
export type TriggerRule = 'allSucceeded' | 'allDone' | 'oneFailed';

export interface JobSpec extends TaskTemplate {
  /** Cron (5 fields, 6 with seconds first, @daily...), a list of them, or an ISO 8601 repeating interval. */
  schedule?: string | string[];
  timeZone?: string;
  dstPolicy?: DstPolicy;
  catchUp?: CatchUp;
  /** Jobs (`name` or `job/name`) and services (`service/name`) of the namespace this job runs after. */
  parents?: string[];
  triggerRule?: TriggerRule;
  /** Extra attempts after a failed one, with exponential backoff. */
  retries: number;
  /** The first retry's delay; each next one doubles, up to 5 minutes. */
  retryBackoffSeconds?: number;
  concurrencyPolicy: ConcurrencyPolicy;
  /** A run still active this long after it started is killed: Failed, reason DeadlineExceeded. */
  activeDeadlineSeconds?: number;
  /** A slot that cannot start within this of its time is Missed (reason StartingDeadlineExceeded). */
  startingDeadlineSeconds?: number;
  /** Tasks of one run at once, and how many must succeed. */
  parallelism?: number;
  completions?: number;
  suspend?: boolean;
  /** Why it is suspended (stowctl job suspend --note). */
  suspendNote?: string;
  successfulRunsHistoryLimit?: number;
  failedRunsHistoryLimit?: number;
  /** Missed and Skipped records kept. */
  missedRunsHistoryLimit?: number;
  /** Hollow nodes only: how long its tasks run and how they exit. */
  sim?: SimSpec;
}
export interface JobStatus {
  /** The newest slot handled: run, or recorded Missed or Skipped. Slots after it are still to come. */
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
  lastFailureTime?: string;
  /** The next fire times (up to 5). */
  nextRunTimes?: string[];
  /** Runs not ended yet. */
  active?: string[];
  /** Slots recorded Missed, and Skipped, since the job was created. */
  missed?: number;
  skipped?: number;
  /** BufferOne: the slot waiting for the active run to end. */
  buffered?: string;
  /** The newest run that ended: its name, how, and when. */
  lastRun?: { name: string; state: JobRunState; at: string };
  conditions?: Condition[];
  observedGeneration?: number;
}
export type Job = Resource<JobSpec, JobStatus>;

// ---- JobRun ----
export type JobRunState = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Missed' | 'Skipped';
export type JobRunTrigger = 'schedule' | 'once' | 'manual' | 'parents' | 'backfill';
export interface JobRunSpec {
  job: string;
  /** The uid of the Job that made it (collected when that Job is gone or was recreated). */
  jobUid?: string;
  /** The scheduled instant this run is for (ISO 8601); absent when on demand. */
  slot?: string;
  trigger?: JobRunTrigger;
  template: TaskTemplate;
  retries: number;
  retryBackoffSeconds?: number;
  activeDeadlineSeconds?: number;
  parallelism?: number;
  completions?: number;
  /** Extra environment for this run only (stowctl job run --env). */
  env?: Record<string, string>;
  /** The parent runs that triggered it. */
  triggeredBy?: string[];
  /** Replace and deadlines ask a run to stop. */
  desiredState?: 'Killed';
  sim?: SimSpec;
}
export interface JobRunStatus {
  state: JobRunState;
  slot?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Attempts made (1 for a run that ran once). */
  attempts: number;
  /** Seconds from the slot to its first task Running. */
  lateness?: number;
  /** Why it ended as it did: Completed, Error, DeadlineExceeded, Replaced, LeaderDown, OutsideCatchUpWindow, Overlap, Suspended, ... */
  reason?: string;
  message?: string;
  /** Its tasks, newest attempt last. */
  tasks?: string[];
  /** The parent runs that triggered it (kept in etcd: the edge survives failover). */
  triggeredBy?: string[];
  /** When the next attempt may start (retry backoff). */
  retryAt?: string;
  /** stowctl job mark-success: a failed run counted as succeeded, for its children. */
  markedSuccess?: boolean;
}
export type JobRun = Resource<JobRunSpec, JobRunStatus>;

// ---- Task ----
export type TaskState =
  | 'Pending'
  | 'Admitted'
  | 'Bound'
  | 'Starting'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'Killed'
  | 'Lost'
  /** Its node is NotReady: not counted running, healthy or ready until the node is back or the task is Lost. */
  | 'Unreachable';
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['Succeeded', 'Failed', 'Killed', 'Lost']);
export type Health = 'Unknown' | 'Healthy' | 'Unhealthy';

export interface TaskSpec extends TaskTemplate {
  /** "service/hello" or "jobrun/report-1764000000"; empty for a bare task. */
  owner?: string;
  /** uid of the owner object that created this task; tasks with one are collected when it is gone. */
  ownerUid?: string;
  templateHash?: string;
  /** Set by the owner's loop to ask the agent to stop the task. */
  desiredState?: 'Running' | 'Killed';
  /**
   * Set with desiredState Killed by the services loop (the service's drainSeconds): the agent
   * keeps the container running this long, out of endpoints, before it stops it with grace.
   */
  drainSeconds?: number;
  /** Hollow nodes only: how long a task "runs" and how it exits. */
  sim?: SimSpec;
}
/** Hollow nodes only: how long a task runs (forever when absent) and its exit code (default 0). */
export interface SimSpec {
  runSeconds?: number;
  exitCode?: number;
}
export interface TaskStatus {
  state: TaskState;
  /** While Unreachable: the state it had, given back when its node is Ready again. */
  stateBeforeUnreachable?: TaskState;
  unreachableSince?: string;
  health?: Health;
  nodeName?: string;
  ports?: Record<string, number>;
  containerId?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** A failed container's last output (its last lines, at most 1 KiB): why it crashed, after it is gone. */
  output?: string;
  startedAt?: string;
  finishedAt?: string;
  healthyAt?: string;
  consecutiveFailures?: number;
  lastHealthCheck?: string;
  /** With readiness checks: false until they pass, then true for good. */
  ready?: boolean;
  readyAt?: string;
  /** The last readiness probe's answer ("GET http://...: HTTP 503"). */
  readinessMessage?: string;
  /** Why a Pending task is not placed: "0/5 nodes fit: 3 insufficient mem, ...". */
  pendingReason?: string;
  pendingDetails?: Record<string, number>;
  /** Written at binding when the task asks for capabilities or host paths: what its namespace allowed then. */
  allowed?: TaskAllowance;
  /** A traced task (annotation stowage/trace): when each component handled it (api/trace.ts). */
  trace?: Record<string, number>;
}
export type Task = Resource<TaskSpec, TaskStatus>;

// ---- Event ----
export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  involvedObject: { kind: string; namespace?: string; name: string; uid?: string };
  source: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
}
export type Event = Resource<EventSpec, Record<string, never>>;

// ---- Secret ----
/**
 * Named values referenced from env. No spec: `data` maps each key to its value. As stored,
 * a value may be sealed (pkg/secrets/cipher.ts); as the API shows it, every value is
 * "<redacted>" unless revealed, and `status.sizes` gives each value's length in bytes.
 */
export interface Secret {
  apiVersion: string;
  kind: 'Secret';
  metadata: ObjectMeta;
  data: Record<string, string>;
  status?: SecretStatus;
}
/** Derived on read, never stored. */
export interface SecretStatus {
  sizes: Record<string, number>;
}

// ---- Endpoints (read-only, derived by the server from tasks) ----
/** One ready instance of a service port. */
export interface EndpointAddress {
  host: string;
  port: number;
  /** The task's name. */
  task: string;
  node: string;
}
export interface EndpointPort {
  /** The port's name in the service template. */
  name: string;
  /** The stable port on every host's proxy, when the port has one. */
  servicePort?: number;
  /** Ready instances, sorted by task name. */
  addresses: EndpointAddress[];
}
/**
 * The ready instances of one service, per port: a view computed from tasks, nodes and the
 * service, never stored. `GET /api/v1/services/<ns>/<name>/endpoints`, `GET /api/v1/endpoints[?watch=1]`.
 */
export interface Endpoints {
  apiVersion: string;
  kind: 'Endpoints';
  metadata: { name: string; namespace: string };
  ports: EndpointPort[];
}

export type AnyResource = Resource<any, any>;

/** One etcd member in the answer of POST /api/v1/admin/defrag. */
export interface MemberDefrag {
  name: string;
  /** The member's ID (hex, as etcdctl prints it). */
  id: string;
  endpoint: string;
  /** Database size in bytes before and after; absent when the member did not answer. */
  dbSizeBefore?: number;
  dbSizeAfter?: number;
  durationMs?: number;
  /** Why this member was not defragmented; the next members are still tried. */
  error?: string;
}
