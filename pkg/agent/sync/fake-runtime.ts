/**
 * A Runtime for unit tests: containers in a map, every call recorded, and
 * the test plays the engine (exit a container, lose one, fail a start).
 */
import { Readable } from 'node:stream';
import { RuntimeError, type ContainerInfo, type ContainerSpec, type ContainerUsage, type Runtime, type RuntimeEvent } from '../runtime/runtime.js';

export class FakeRuntime implements Runtime {
  readonly calls: string[] = [];
  readonly containers = new Map<string, ContainerInfo & { spec?: ContainerSpec }>();
  /** Images start() refuses with ImageNotFound. */
  readonly missingImages = new Set<string>();
  /** The engine does not answer: start and list fail as the docker driver's do then. */
  down = false;
  private handlers: ((e: RuntimeEvent) => void)[] = [];
  private reconnects: (() => void)[] = [];
  private n = 0;

  constructor(readonly node = 'n1') {}

  /** A container that was there before the agent started. */
  seed(c: Omit<ContainerInfo, 'taskRef'> & { taskRef?: string }): void {
    this.containers.set(c.id, { taskRef: '', ...c });
  }

  async start(spec: ContainerSpec): Promise<string> {
    this.calls.push(`start ${spec.taskRef}`);
    if (this.down) throw new RuntimeError('EngineUnavailable', 'the Docker engine is not reachable', true);
    if (this.missingImages.has(spec.image)) {
      throw new RuntimeError('ImageNotFound', `image ${spec.image} is not on this node; pull or build it first`);
    }
    const id = `c${++this.n}`;
    const startedAt = new Date().toISOString();
    this.containers.set(id, { id, taskUid: spec.taskUid, taskRef: spec.taskRef, phase: 'running', startedAt, spec });
    this.emit({ id, taskUid: spec.taskUid, type: 'start', time: startedAt });
    return id;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    this.calls.push(`stop ${id} ${graceSeconds}`);
    const c = this.containers.get(id);
    if (!c) throw new Error(`no such container ${id}`);
    if (c.phase !== 'exited') this.exit(id, 143, { killed: true });
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    const c = this.containers.get(id);
    if (!c) throw new Error(`no such container ${id}`);
    this.containers.delete(id);
    this.emit({ id, taskUid: c.taskUid, type: 'destroy', time: new Date().toISOString() });
  }

  async list(): Promise<ContainerInfo[]> {
    if (this.down) throw new RuntimeError('EngineUnavailable', 'the Docker engine is not reachable', true);
    return [...this.containers.values()].map(({ spec: _s, ...c }) => ({ ...c }));
  }

  /** Usage a test set for a container (default: none). */
  readonly usage = new Map<string, ContainerUsage>();
  async stats(id: string): Promise<ContainerUsage | undefined> {
    return this.usage.get(id);
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    if (!c) return undefined;
    const { spec: _s, ...info } = c;
    return { ...info };
  }

  async exec(id: string, command: string[]): Promise<{ exitCode: number }> {
    this.calls.push(`exec ${id} ${command.join(' ')}`);
    return { exitCode: 0 };
  }

  async logs(id: string): Promise<Readable> {
    return Readable.from([`logs of ${id}\n`]);
  }

  onEvent(handler: (e: RuntimeEvent) => void): () => void {
    this.handlers.push(handler);
    return () => (this.handlers = this.handlers.filter((h) => h !== handler));
  }

  onReconnect(handler: () => void): () => void {
    this.reconnects.push(handler);
    return () => (this.reconnects = this.reconnects.filter((h) => h !== handler));
  }

  async close(): Promise<void> {}

  // ---- the test plays the engine ----

  /** The container exits (by itself, by a signal, or out of memory). */
  exit(id: string, exitCode: number, opts: { oomKilled?: boolean; killed?: boolean } = {}): void {
    const c = this.containers.get(id)!;
    const time = new Date().toISOString();
    Object.assign(c, { phase: 'exited', exitCode, finishedAt: time, ...opts });
    if (opts.oomKilled) this.emit({ id, taskUid: c.taskUid, type: 'oom', time });
    this.emit({ id, taskUid: c.taskUid, type: 'die', exitCode, time });
  }

  /**
   * An 'oom' event after the container's exit: Docker may handle the OOM
   * after the exit, and then its inspect never says OOMKilled.
   */
  lateOom(id: string): void {
    const c = this.containers.get(id)!;
    this.emit({ id, taskUid: c.taskUid, type: 'oom', time: new Date().toISOString() });
  }

  /** The engine restarted: this container is gone without an event. */
  lose(id: string): void {
    this.containers.delete(id);
  }

  reconnect(): void {
    for (const h of this.reconnects) h();
  }

  private emit(e: RuntimeEvent): void {
    for (const h of this.handlers) h(e);
  }
}
