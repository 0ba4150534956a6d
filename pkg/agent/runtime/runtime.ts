/**
 * What an agent needs from a container engine. Two drivers implement it:
 * docker (dockerode against a real engine) and sim (hollow nodes: tasks
 * "run" in memory, for scale tests and benchmarks only).
 *
 * Every container a runtime creates carries the labels
 *   stowage.task=<task uid>  stowage.node=<node name>  stowage.name=<ns>/<task name>
 * and a runtime never touches containers without stowage.* labels.
 */
import type { Readable } from 'node:stream';

export interface ContainerSpec {
  taskUid: string;
  /** "<namespace>/<name>" of the task. */
  taskRef: string;
  nodeName: string;
  image: string;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  cpus: number;
  memMiB: number;
  pidsLimit: number;
  /** Open files (RLIMIT_NOFILE, soft = hard) and processes of the user (RLIMIT_NPROC); 0 or absent = the engine's default. */
  nofileLimit?: number;
  nprocLimit?: number;
  /** "uid", "uid:gid" or a name the image knows; absent = the image's user. */
  user?: string;
  readOnlyRootFilesystem?: boolean;
  /** Capabilities added to the default ones (the task's capabilities.add). */
  capAdd?: string[];
  /** Host paths bind-mounted into the container. */
  mounts?: { hostPath: string; containerPath: string; readOnly: boolean }[];
  /** Hollow nodes only. */
  sim?: { runSeconds?: number; exitCode?: number };
}

export type ContainerPhase = 'created' | 'running' | 'exited';

export interface ContainerInfo {
  id: string;
  taskUid: string;
  taskRef: string;
  phase: ContainerPhase;
  exitCode?: number;
  oomKilled?: boolean;
  /** Set when the container was stopped through this runtime. */
  killed?: boolean;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

/** What a running container uses, sampled once. */
export interface ContainerUsage {
  /** Cores in use (1.5 = one and a half cores busy) over the sample window. */
  cpus: number;
  /** Memory in use, bytes (page cache left out, as `docker stats` shows it). */
  memBytes: number;
}

/** A change in one of this node's containers, as the engine reported it. */
export interface RuntimeEvent {
  id: string;
  taskUid: string;
  type: 'start' | 'die' | 'oom' | 'destroy';
  exitCode?: number;
  time: string;
}

/** Failures with a reason the task's status can carry (ImageNotFound, ...). */
export class RuntimeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface Runtime {
  /** Create and start a container; resolves with its id once started. */
  /** mark: told when the create is sent and when it returned (a traced task's marks, api/trace.ts). */
  start(spec: ContainerSpec, mark?: (step: 'create' | 'created') => void): Promise<string>;
  /** SIGTERM, then SIGKILL after graceSeconds. Resolves when it has exited. */
  stop(id: string, graceSeconds: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** This node's containers (by the stowage.node label), running or not. */
  list(): Promise<ContainerInfo[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /** Run a command inside a running container (COMMAND health checks). */
  exec(id: string, command: string[], timeoutMs: number): Promise<{ exitCode: number }>;
  /** One sample of a running container's cpu and memory use; undefined when it is not running or gone. */
  stats(id: string): Promise<ContainerUsage | undefined>;
  /** stdout and stderr, demultiplexed, as one text stream. */
  logs(id: string, opts: { follow: boolean; tail?: number }): Promise<Readable>;
  /** Subscribe to this node's container events; returns an unsubscribe. */
  onEvent(handler: (e: RuntimeEvent) => void): () => void;
  /** Fires when the engine connection was lost and came back: re-list then. */
  onReconnect(handler: () => void): () => void;
  close(): Promise<void>;
}
