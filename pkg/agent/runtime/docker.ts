/**
 * The docker driver: a Runtime over one Docker Engine, through dockerode on
 * its unix socket (a keep-alive agent, so bursts of starts reuse connections).
 *
 *   start:  POST /containers/create ──> POST /containers/{id}/start   (two round trips, nothing else)
 *   stop:   inspect ──> POST /stop?t=grace (SIGTERM, SIGKILL after grace; returns once exited) ──> rename *.killed
 *   events: one GET /events stream filtered on stowage.node=<node>, reconnected with backoff
 *
 * Images are never pulled (no registry is reachable from these hosts): a
 * missing image is RuntimeError('ImageNotFound') at once.
 *
 * "killed": a label cannot change after creation, so a stop through this
 * runtime is remembered twice: in memory (this process), and durably by
 * renaming the container to "<name>.killed", so an agent that restarts and
 * adopts its containers still knows which ones it stopped itself. A container
 * that had already exited when stop was asked is not marked.
 */
import Docker from 'dockerode';
import http from 'node:http';
import { inspect } from 'node:util';
import type { Readable } from 'node:stream';
import { errMsg, type Logger } from '../../log/logger.js';
import { Limiter, mapLimit } from '../../util/limiter.js';
import { RuntimeError, type ContainerInfo, type ContainerSpec, type ContainerUsage, type Runtime, type RuntimeEvent } from './runtime.js';
import { isInterruptedStartLeftover, statusOf, toRuntimeError } from './docker/errors.js';
import { EventStream } from './docker/events.js';
import { Handlers } from './handlers.js';
import { execIn } from './docker/exec.js';
import { isOurs, phaseOf, toContainerInfo } from './docker/info.js';
import { demuxLogs } from './docker/logs.js';
import { usageFromStats, type DockerStats } from './docker/stats.js';
import { KILLED_SUFFIX, LABEL_NODE, LABEL_TASK, containerName, createOptions } from './docker/spec.js';

export interface DockerRuntimeOptions {
  nodeName: string;
  /** Default /var/run/docker.sock. */
  socketPath?: string;
  log: Logger;
  /** Event stream reconnect backoff (tests shorten it). */
  reconnectBackoffMs?: { initial: number; max: number };
}

/** How many inspects list() runs at once. */
const LIST_CONCURRENCY = 16;
/**
 * Creates sent to the engine at once. The engine works a burst of creates
 * side by side and finishes them all late (20 at once: the first one done
 * after ~5x its time alone); a few at a time, the first containers are
 * created (and started, starts are not limited) while the rest queue here.
 */
const CREATES_AT_ONCE = 4;

export class DockerRuntime implements Runtime {
  readonly docker: Docker;
  readonly nodeName: string;
  private readonly agent: http.Agent;
  private readonly log: Logger;
  private readonly stoppedHere = new Set<string>();
  private readonly eventHandlers: Handlers<RuntimeEvent>;
  private readonly reconnectHandlers: Handlers<void>;
  private readonly events: EventStream;
  private readonly creates = new Limiter(CREATES_AT_ONCE);

  constructor(o: DockerRuntimeOptions) {
    this.nodeName = o.nodeName;
    this.log = o.log.child({ runtime: 'docker', node: o.nodeName });
    this.eventHandlers = new Handlers(this.log);
    this.reconnectHandlers = new Handlers(this.log);
    // Unbounded sockets: the event stream and followed logs each hold one for long.
    this.agent = new http.Agent({ keepAlive: true, maxFreeSockets: 32 });
    // docker-modem formats every request's options with util.inspect({showHidden,
    // depth: null}), debug logging or not; the options carry this agent, so each
    // request walked every pooled socket (50 parallel starts blocked the event
    // loop ~13 s). A one-line inspect of the agent avoids it.
    Object.defineProperty(this.agent, inspect.custom, { value: () => '[http.Agent]' });
    this.docker = new Docker({ socketPath: o.socketPath ?? '/var/run/docker.sock', agent: this.agent } as Docker.DockerOptions);
    this.events = new EventStream({
      docker: this.docker,
      nodeName: o.nodeName,
      log: this.log,
      onEvent: (e) => this.eventHandlers.emit(e),
      onConnect: () => this.reconnectHandlers.emit(),
      initialBackoffMs: o.reconnectBackoffMs?.initial,
      maxBackoffMs: o.reconnectBackoffMs?.max,
    });
    this.events.start();
  }

  /** Resolves once the event stream is connected (start() does not need it). */
  ready(): Promise<void> {
    return this.events.ready();
  }

  async start(spec: ContainerSpec, mark?: (step: 'create' | 'created') => void): Promise<string> {
    if (spec.nodeName !== this.nodeName) {
      throw new RuntimeError('CreateContainerError', `task ${spec.taskRef} is for node ${spec.nodeName}, this runtime is node ${this.nodeName}`);
    }
    const t0 = performance.now();
    const c = await this.creates.run(() => {
      mark?.('create');
      return this.create(spec, true);
    });
    if (typeof c === 'string') return c; // it was already running
    mark?.('created');
    try {
      await c.start();
    } catch (e) {
      if (statusOf(e) !== 304) {
        const leftover = isInterruptedStartLeftover(e);
        if (leftover) {
          // an earlier start, cut by an engine restart, got further than the engine said: it may run
          const info = await this.inspectRaw(c.id).catch(() => undefined);
          if (info && phaseOf(info.State.Status) === 'running') {
            this.log.info('the container of an interrupted start is running: taken as started', { task: spec.taskRef, id: c.id });
            return c.id;
          }
        }
        // Leave nothing half-made behind: the error carries the engine's reason.
        await c.remove({ force: true }).catch(() => {});
        const err = toRuntimeError(e, 'StartError', `start container for task ${spec.taskRef}`);
        // removed now, so the next try starts clean (the executor bounds the tries)
        throw leftover ? new RuntimeError(err.reason, err.message, true) : err;
      }
    }
    this.log.debug('container started', { task: spec.taskRef, id: c.id, ms: Math.round(performance.now() - t0) });
    return c.id;
  }

  /** Create, or resolve a name conflict with a container of the same task: its id if running, the container if created. */
  private async create(spec: ContainerSpec, retryConflict: boolean): Promise<Docker.Container | string> {
    try {
      return await this.docker.createContainer(createOptions(spec));
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) {
        throw new RuntimeError(
          'ImageNotFound',
          `image "${spec.image}" is not present on node ${this.nodeName} and no registry is reachable: build or load it first`,
        );
      }
      if (status === 409 && retryConflict) return this.resolveConflict(spec);
      throw toRuntimeError(e, 'CreateContainerError', `create container for task ${spec.taskRef}`);
    }
  }

  private async resolveConflict(spec: ContainerSpec): Promise<Docker.Container | string> {
    const name = containerName(spec);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(name).inspect();
    } catch (e) {
      if (statusOf(e) === 404) return this.create(spec, false); // gone meanwhile
      throw toRuntimeError(e, 'CreateContainerError', `create container for task ${spec.taskRef}`);
    }
    const labels = info.Config.Labels ?? {};
    if (!isOurs(labels, this.nodeName) || labels[LABEL_TASK] !== spec.taskUid) {
      throw new RuntimeError('CreateContainerError', `a container named ${name} exists and belongs to another task or node`);
    }
    const phase = phaseOf(info.State.Status);
    if (phase === 'running') return info.Id;
    if (phase === 'created') return this.docker.getContainer(info.Id);
    // An exited run of the same task: the caller asked for a new one.
    this.log.info('removing an exited container of the same task to start it again', { task: spec.taskRef, id: info.Id });
    await this.remove(info.Id);
    return this.create(spec, false);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.docker.getContainer(id);
    const info = await this.inspectRaw(id);
    if (!info || !isOurs(info.Config.Labels ?? undefined, this.nodeName)) return;
    if (phaseOf(info.State.Status) !== 'running') return; // exited on its own: not a kill
    this.stoppedHere.add(id);
    try {
      await c.stop({ t: Math.max(0, Math.ceil(graceSeconds)) });
    } catch (e) {
      const s = statusOf(e);
      if (s === 304) {
        this.stoppedHere.delete(id); // it exited by itself in between
        return;
      }
      if (s === 404) return;
      throw toRuntimeError(e, 'StopError', `stop container ${id.slice(0, 12)}`);
    }
    if (!info.Name.endsWith(KILLED_SUFFIX)) {
      await c.rename({ name: info.Name.replace(/^\//, '') + KILLED_SUFFIX }).catch((e: unknown) => {
        this.log.debug('could not mark a stopped container as killed', { id, error: errMsg(e) });
      });
    }
  }

  async remove(id: string): Promise<void> {
    const info = await this.inspectRaw(id);
    if (!info || !isOurs(info.Config.Labels ?? undefined, this.nodeName)) return;
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const s = statusOf(e);
      // 404: gone; 409: a removal is already in progress.
      if (s !== 404 && s !== 409) throw toRuntimeError(e, 'RemoveError', `remove container ${id.slice(0, 12)}`);
    }
    this.stoppedHere.delete(id);
  }

  async list(): Promise<ContainerInfo[]> {
    let summaries: Docker.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${this.nodeName}`] } });
    } catch (e) {
      throw toRuntimeError(e, 'ListError', 'list containers');
    }
    // The summary has no exit code, OOM flag or times: inspect each, a few at a time.
    const infos = await mapLimit(summaries, LIST_CONCURRENCY, (s) => this.inspect(s.Id));
    return infos.filter((i): i is ContainerInfo => i !== undefined); // vanished between list and inspect: skip
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const info = await this.inspectRaw(id);
    if (!info || !isOurs(info.Config.Labels ?? undefined, this.nodeName)) return undefined;
    return toContainerInfo(info, this.stoppedHere.has(info.Id));
  }

  private async inspectRaw(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw toRuntimeError(e, 'InspectError', `inspect container ${id.slice(0, 12)}`);
    }
  }

  /**
   * One-shot stats (stream=false): the engine waits for a second sample so
   * precpu_stats is filled, ~1 s per call; callers bound how many run at once.
   */
  async stats(id: string): Promise<ContainerUsage | undefined> {
    let raw: DockerStats;
    try {
      raw = (await this.docker.getContainer(id).stats({ stream: false })) as unknown as DockerStats;
    } catch (e) {
      if (statusOf(e) === 404 || statusOf(e) === 409) return undefined;
      throw toRuntimeError(e, 'StatsError', `stats of container ${id.slice(0, 12)}`);
    }
    return usageFromStats(raw);
  }

  exec(id: string, command: string[], timeoutMs: number): Promise<{ exitCode: number }> {
    return execIn(this.docker.getContainer(id), command, timeoutMs);
  }

  async logs(id: string, opts: { follow: boolean; tail?: number }): Promise<Readable> {
    const c = this.docker.getContainer(id);
    const base = { stdout: true, stderr: true, timestamps: false, tail: opts.tail ?? 'all' } as Docker.ContainerLogsOptions;
    try {
      const raw = opts.follow ? await c.logs({ ...base, follow: true }) : await c.logs({ ...base, follow: false });
      return demuxLogs(this.docker, raw);
    } catch (e) {
      if (statusOf(e) === 404) throw new RuntimeError('ContainerNotFound', `logs: no container ${id.slice(0, 12)} on node ${this.nodeName}`);
      throw toRuntimeError(e, 'LogsError', `logs of container ${id.slice(0, 12)}`);
    }
  }

  onEvent(handler: (e: RuntimeEvent) => void): () => void {
    return this.eventHandlers.add(handler);
  }

  /** Fires on every (re)connect of the event stream, the first one included: re-list then. */
  onReconnect(handler: () => void): () => void {
    return this.reconnectHandlers.add(handler);
  }

  async close(): Promise<void> {
    this.events.close();
    this.eventHandlers.clear();
    this.reconnectHandlers.clear();
    this.agent.destroy();
  }

}
