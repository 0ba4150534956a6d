/**
 * The sim driver: hollow nodes. Containers live in memory only; a container
 * "runs" for spec.sim.runSeconds (forever when absent), then exits with
 * spec.sim.exitCode (default 0). It emits what a Docker container would
 * (start, die with the exit code, destroy), so the agent cannot tell.
 *
 * Cheap by construction: every timed container of every SimRuntime in the
 * process sits in one DeadlineQueue (a binary heap) served by a single timer,
 * so 10,000 containers on 1,000 hollow nodes cost one setTimeout, and a
 * container costs one small object.
 *
 *   start ─> running ──(runSeconds elapse)──> exited(exitCode)  ──remove──> gone
 *                └──────(stop)──────────────> exited(137, killed)
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { nopLogger, type Logger } from '../../log/logger.js';
import { Handlers } from './handlers.js';
import { RuntimeError, type ContainerInfo, type ContainerSpec, type ContainerUsage, type Runtime, type RuntimeEvent } from './runtime.js';

interface Deadline {
  at: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Callbacks at instants, earliest first, behind one timer. `manual: true`
 * arms no timer: a test steps time itself with runDue(now).
 */
export class DeadlineQueue {
  private heap: Deadline[] = [];
  private cancelledCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  readonly now: () => number;
  private readonly manual: boolean;

  constructor(opts: { now?: () => number; manual?: boolean } = {}) {
    this.now = opts.now ?? Date.now;
    this.manual = opts.manual ?? false;
  }

  /** Deadlines waiting (cancelled ones not counted). */
  get size(): number {
    return this.heap.length - this.cancelledCount;
  }

  add(at: number, fn: () => void): Deadline {
    const d: Deadline = { at, fn, cancelled: false };
    this.push(d);
    this.arm();
    return d;
  }

  cancel(d: Deadline): void {
    if (d.cancelled) return;
    d.cancelled = true;
    this.cancelledCount++;
    if (this.size === 0) {
      // Nothing left to wait for: drop the timer, so an idle queue holds no process open.
      this.heap = [];
      this.cancelledCount = 0;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    // Cancelled entries leave lazily; rebuild when they are most of the heap.
    if (this.cancelledCount > 1024 && this.cancelledCount * 2 > this.heap.length) {
      const live = this.heap.filter((x) => !x.cancelled);
      this.heap = [];
      this.cancelledCount = 0;
      for (const x of live) this.push(x);
    }
  }

  /** Run every deadline at or before now, in order; returns how many ran. */
  runDue(now = this.now()): number {
    let n = 0;
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const d = this.pop();
      if (d.cancelled) {
        this.cancelledCount--;
        continue;
      }
      d.cancelled = true; // ran: a late cancel is a no-op
      n++;
      try {
        d.fn();
      } catch {
        // a callback's failure is its own; the queue goes on
      }
    }
    return n;
  }

  private arm(): void {
    if (this.manual) return;
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.pop();
      this.cancelledCount--;
    }
    const next = this.heap.length > 0 ? this.heap[0]!.at : Infinity;
    if (next >= this.timerAt) return; // the armed timer comes first anyway
    clearTimeout(this.timer);
    this.timerAt = next;
    if (next === Infinity) return;
    // setTimeout takes at most 2^31-1 ms; a later deadline re-arms on wake.
    this.timer = setTimeout(() => this.fire(), Math.min(2 ** 31 - 1, Math.max(0, next - this.now())));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.runDue();
    this.arm();
  }

  private push(d: Deadline): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= d.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = d;
  }

  private pop(): Deadline {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && h[l + 1]!.at < h[l]!.at ? l + 1 : l;
        if (h[c]!.at >= last.at) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/** The queue every SimRuntime uses unless given its own. */
export const sharedDeadlines = new DeadlineQueue();

interface SimContainer {
  info: ContainerInfo;
  /** SYNTHETIC usage (hollow nodes run nothing): a fixed fraction of the request, see SIM_USAGE. */
  usage: ContainerUsage;
  deadline?: Deadline;
}

export interface SimRuntimeOptions {
  nodeName: string;
  log?: Logger;
  /** Default: the process-wide shared queue. Tests pass a manual one. */
  deadlines?: DeadlineQueue;
}

/**
 * Hollow nodes report SYNTHETIC usage, not a measurement: each running task
 * "uses" this share of its requested cpus and mem, so top, metrics and the
 * Node's usage have plausible figures at scale.
 */
export const SIM_USAGE = { cpuShare: 0.1, memShare: 0.25 } as const;

export class SimRuntime implements Runtime {
  readonly nodeName: string;
  private readonly log: Logger;
  private readonly q: DeadlineQueue;
  private readonly containers = new Map<string, SimContainer>();
  private readonly eventHandlers: Handlers<RuntimeEvent>;
  private readonly reconnectHandlers: Handlers<void>;

  constructor(o: SimRuntimeOptions) {
    this.nodeName = o.nodeName;
    this.log = o.log ?? nopLogger;
    this.q = o.deadlines ?? sharedDeadlines;
    this.eventHandlers = new Handlers(this.log);
    this.reconnectHandlers = new Handlers(this.log);
  }

  /** Containers held (running or exited, not removed). */
  get size(): number {
    return this.containers.size;
  }

  async start(spec: ContainerSpec): Promise<string> {
    await tick();
    if (spec.nodeName !== this.nodeName) {
      throw new RuntimeError('CreateContainerError', `task ${spec.taskRef} is for node ${spec.nodeName}, this runtime is node ${this.nodeName}`);
    }
    const id = randomBytes(32).toString('hex');
    const now = this.q.now();
    const c: SimContainer = {
      info: { id, taskUid: spec.taskUid, taskRef: spec.taskRef, phase: 'running', startedAt: new Date(now).toISOString() },
      usage: { cpus: spec.cpus * SIM_USAGE.cpuShare, memBytes: Math.round(spec.memMiB * 1024 * 1024 * SIM_USAGE.memShare) },
    };
    this.containers.set(id, c);
    this.emit({ id, taskUid: spec.taskUid, type: 'start', time: c.info.startedAt! });
    const run = spec.sim?.runSeconds;
    if (run !== undefined && run >= 0) {
      const code = spec.sim?.exitCode ?? 0;
      c.deadline = this.q.add(now + run * 1000, () => this.exit(c, code, false));
    }
    return id;
  }

  async stop(id: string, _graceSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (c?.info.phase === 'running') this.exit(c, 137, true);
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.info.phase === 'running') this.exit(c, 137, false); // force remove kills it, as docker rm -f
    this.containers.delete(id);
    this.emit({ id, taskUid: c.info.taskUid, type: 'destroy', time: new Date(this.q.now()).toISOString() });
  }

  async list(): Promise<ContainerInfo[]> {
    return [...this.containers.values()].map((c) => ({ ...c.info }));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    return c ? { ...c.info } : undefined;
  }

  async stats(id: string): Promise<ContainerUsage | undefined> {
    const c = this.containers.get(id);
    return c && c.info.phase === 'running' ? { ...c.usage } : undefined;
  }

  async exec(id: string, command: string[], _timeoutMs: number): Promise<{ exitCode: number }> {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('ContainerNotFound', `exec ${JSON.stringify(command)}: no container ${id.slice(0, 12)} on node ${this.nodeName}`);
    if (c.info.phase !== 'running') throw new RuntimeError('ContainerNotRunning', `exec ${JSON.stringify(command)} in ${id.slice(0, 12)}: the container is not running`);
    return { exitCode: 0 };
  }

  /** A fixed text: a hollow node runs no process, so there is no output (follow ends at once too). */
  async logs(id: string, _opts: { follow: boolean; tail?: number }): Promise<Readable> {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('ContainerNotFound', `logs: no container ${id.slice(0, 12)} on node ${this.nodeName}`);
    return Readable.from([`hollow node ${this.nodeName}: task ${c.info.taskRef} runs in memory (sim driver); there is no process and no output\n`]);
  }

  onEvent(handler: (e: RuntimeEvent) => void): () => void {
    return this.eventHandlers.add(handler);
  }

  onReconnect(handler: () => void): () => void {
    return this.reconnectHandlers.add(handler);
  }

  /** Tests: behave as if the engine connection dropped and came back. */
  simulateReconnect(): void {
    this.reconnectHandlers.emit();
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) if (c.deadline) this.q.cancel(c.deadline);
    this.eventHandlers.clear();
    this.reconnectHandlers.clear();
  }

  private exit(c: SimContainer, exitCode: number, killed: boolean): void {
    if (c.info.phase !== 'running') return;
    if (c.deadline) this.q.cancel(c.deadline);
    c.deadline = undefined;
    const time = new Date(this.q.now()).toISOString();
    c.info.phase = 'exited';
    c.info.exitCode = exitCode;
    c.info.oomKilled = false;
    c.info.finishedAt = time;
    if (killed) c.info.killed = true;
    this.emit({ id: c.info.id, taskUid: c.info.taskUid, type: 'die', exitCode, time });
  }

  private emit(e: RuntimeEvent): void {
    this.eventHandlers.emit(e);
  }
}
