/**
 * Carries out the actions compute() chose for one task uid: the runtime
 * calls (start, stop, remove, inspect, logs) and the status patches and
 * events that follow each.
 *
 *   start ──────► Starting ─► secret env ─► runtime.start (a few at a time) ─► Running {containerId}
 *                                  │            └─ failed: retry (re-list first) | Failed {reason}
 *                                  └─ a secret or key missing: Failed {reason SecretNotFound}
 *                                     sealed with a key it lacks: Failed {reason SecretUnreadable}
 *
 * Secret values live only in the container spec handed to the runtime and in
 * a per-task list used to mask them (***) in what the agent writes: a failed
 * start's message, a crashed container's output, log lines.
 *   adopt ──────► Running {containerId} of the container found
 *   report ─────► inspect ─► Succeeded | Failed {exitCode, reason, output}
 *   drain ──────► nothing yet: look again when the drain is over (the container serves on)
 *   kill ───────► stop with grace ─► Killed {exitCode} ─► remove (when asked)
 *   remove ─────► stop (if running) ─► remove   (a container no task claims)
 *   reportKilled / reportMissing ─► Killed / Failed {ContainerMissing}
 *   lateOOM ────► Failed {reason Error} corrected to {reason OOMKilled} (the 'oom' came after the exit)
 *
 * A throw means "try this uid again with backoff"; the node sync's queue
 * does that. Every runtime call is counted and timed by operation
 * (stowage_agent_runtime_operations_total, _operation_duration_seconds).
 */
import type { Task } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { agentRuntimeOpDuration, agentRuntimeOps, agentTaskStart } from '../../metrics/metrics.js';
import type { Limiter } from '../../util/limiter.js';
import { containerSpec, type SpecContext } from '../env.js';
import { RuntimeError, type Runtime } from '../runtime/runtime.js';
import { startRefusal } from '../../api/security.js';
import { DEFAULT_KILL_GRACE_SECONDS, exitPatch, type Action } from './compute.js';
import type { ObservedContainers } from './containers.js';
import { LAST_OUTPUT_LINES, readLastOutput } from './last-output.js';
import type { StatusWriter } from './status-writer.js';
import { secretRefsOf } from '../../api/secrets.js';
import { maskValues } from '../../secrets/mask.js';
import { SecretNotFoundError, type SecretEnv } from '../../secrets/resolve.js';
import { SecretKeyError } from '../../secrets/cipher.js';
import { addMarks, traceNow, type TraceMarks } from '../../api/trace.js';

/** What the node sync knows of one task uid. */
export interface TaskRecord {
  uid: string;
  ns: string;
  name: string;
  task: Task;
  assigned: boolean;
  /** When the agent first saw the assignment (ms): bound -> running latency. */
  seenAt: number;
  startFailures: number;
  /** A drained kill: when the drain ends (ms), set when the agent first sees the kill. */
  drainUntil?: number;
  /** A traced task (api/trace.ts): when its assignment arrived. */
  tracedAt?: number;
}

export interface ExecutorDeps {
  node: string;
  runtime: Runtime;
  writer: Pick<StatusWriter, 'update'> & Partial<Pick<StatusWriter, 'view'>>;
  log: Logger;
  spec: Omit<SpecContext, 'nodeName'>;
  recorder?: Recorder;
  containers: ObservedContainers;
  /** Container starts at once. */
  starts: Limiter;
  /** Give up starting a task after this many retryable failures. */
  maxStartAttempts: number;
  /** Reconcile the uid again (a container that exited before its start was reported, a second look). */
  requeue(uid: string): void;
  /** Reconcile the uid again in `ms` (the end of a drain). */
  requeueAfter(uid: string, ms: number): void;
  /** Re-read the runtime's containers. */
  relist(why: string): Promise<void>;
  /** Stop the task's health and readiness checks. */
  stopChecks(uid: string): void;
  /** Where the values of a task's {secret, key} env come from (absent: such a task cannot start). */
  secretEnv?: SecretEnv;
}

export class ActionExecutor {
  /** uid -> the secret values its container got, to mask them in what is reported. */
  private readonly secretValues = new Map<string, string[]>();

  constructor(private readonly d: ExecutorDeps) {}

  async run(uid: string, r: TaskRecord | undefined, a: Action): Promise<void> {
    const { writer, recorder, containers } = this.d;
    const now = () => new Date().toISOString();
    switch (a.kind) {
      case 'start':
        return this.start(r!);
      case 'adopt': {
        const c = containers.get(a.id)!;
        this.d.log.info('adopted running container', { task: ref(r!), container: a.id });
        writer.update(uid, { state: 'Running', containerId: a.id, ...(c.startedAt ? { startedAt: c.startedAt } : {}), stateBeforeUnreachable: undefined, unreachableSince: undefined });
        return;
      }
      case 'report': {
        const info = (await this.op('inspect', () => this.d.runtime.inspect(a.id))) ?? containers.get(a.id);
        if (!info) return;
        const c = containers.put(info); // an 'oom' event already seen stays (containers.ts)
        if (c.oomKilled && !info.oomKilled) this.d.log.info("exit reported OOMKilled from the engine's 'oom' event; its inspect does not say so", { task: r ? ref(r) : c.taskRef, container: a.id });
        const patch = exitPatch(c, r?.task.spec.resources.mem, new Date());
        if (patch.state === 'Failed') {
          const output = await readLastOutput(() => this.d.runtime.logs(a.id, { follow: false, tail: LAST_OUTPUT_LINES }));
          if (output) patch.output = maskValues(output, await this.valuesToMask(uid, r));
        }
        this.secretValues.delete(uid);
        writer.update(uid, patch);
        this.d.log[patch.state === 'Failed' ? 'info' : 'debug']('task exited', {
          task: r ? ref(r) : c.taskRef,
          container: a.id,
          state: patch.state,
          reason: patch.reason,
          exitCode: patch.exitCode,
        });
        if (r && patch.reason === 'OOMKilled') recorder?.warning(r.task, 'OOMKilled', `container ${short(a.id)} ${patch.message}`);
        else if (r && patch.state === 'Failed') recorder?.warning(r.task, 'Failed', `container ${short(a.id)} ${patch.message}`);
        return;
      }
      case 'drain': {
        // (the node sync stops its checks: it serves no new traffic, and its health no longer matters)
        this.d.requeueAfter(uid, a.ms);
        return;
      }
      case 'kill': {
        const grace = r?.task.spec.killGracePeriodSeconds ?? DEFAULT_KILL_GRACE_SECONDS;
        this.d.stopChecks(uid);
        await this.stopContainer(a.id, grace);
        const info = await this.op('inspect', () => this.d.runtime.inspect(a.id)).catch(() => undefined);
        const c = containers.get(a.id);
        if (c) containers.put({ ...c, ...info, phase: 'exited', killed: true });
        this.d.log.debug('task container stopped', { task: r ? ref(r) : c?.taskRef, container: a.id, graceSeconds: grace });
        if (a.report) {
          writer.update(uid, {
            state: 'Killed',
            reason: 'Killed',
            message: r?.assigned ? 'killed on request (desiredState Killed)' : 'killed: the task is no longer assigned to this node',
            finishedAt: info?.finishedAt ?? now(),
            ...(info?.exitCode !== undefined ? { exitCode: info.exitCode } : {}),
          });
          if (r) recorder?.normal(r.task, 'Killed', `container ${short(a.id)} stopped (grace ${grace}s)`);
        }
        if (a.remove) await this.removeContainer(a.id);
        this.secretValues.delete(uid);
        return;
      }
      case 'remove': {
        if (a.running) await this.stopContainer(a.id, r?.task.spec.killGracePeriodSeconds ?? DEFAULT_KILL_GRACE_SECONDS);
        this.d.log.info(r?.assigned ? 'removing an extra container of the task' : 'removing container no task here claims', {
          ...(r ? { task: ref(r) } : {}),
          uid,
          container: a.id,
        });
        await this.removeContainer(a.id);
        return;
      }
      case 'lateOOM': {
        this.d.log.info('exit reported before its oom event: reason corrected to OOMKilled', { ...(r ? { task: ref(r) } : {}), uid, container: a.id });
        writer.update(uid, a.patch);
        if (r) recorder?.warning(r.task, 'OOMKilled', `container ${short(a.id)} ${a.patch.message}`);
        return;
      }
      case 'reportKilled':
        writer.update(uid, { state: 'Killed', reason: 'Killed', message: 'killed before it started', finishedAt: now() });
        return;
      case 'reportMissing': {
        if (a.id) {
          const info = await this.op('inspect', () => this.d.runtime.inspect(a.id!));
          if (info) {
            // The list missed it (a race with a re-list): look again.
            containers.put(info);
            this.d.requeue(uid);
            return;
          }
        }
        writer.update(uid, {
          state: 'Failed',
          reason: 'ContainerMissing',
          message: `container ${a.id ? short(a.id) + ' ' : ''}is gone (removed outside Stowage, or lost with the container engine)`,
          finishedAt: now(),
        });
        this.d.log.warn('task container is gone', { ...(r ? { task: ref(r) } : {}), uid, container: a.id });
        if (r) recorder?.warning(r.task, 'ContainerMissing', 'the task container disappeared');
        return;
      }
    }
  }

  private async start(r: TaskRecord): Promise<void> {
    const { node, writer, containers } = this.d;
    // defence in depth: the API refused this already, unless the task was written around it
    const refusal = startRefusal(r.task.spec, r.task.status?.allowed);
    if (refusal) return this.startFailed(r, new RuntimeError('Forbidden', refusal), []);
    const marks = r.tracedAt !== undefined ? new TaskMarks(() => this.d.writer.view?.(r.uid)?.trace, { 'agent.received': r.tracedAt, 'agent.start': traceNow() }) : undefined;
    writer.update(r.uid, { state: 'Starting', ...marks?.patch() });
    let secrets: Record<string, string>;
    try {
      secrets = await this.secretEnvOf(r.task);
    } catch (e) {
      if (e instanceof SecretNotFoundError) return this.secretFailed(r, e.reason, e.message);
      // sealed with a key this agent does not hold (or altered): trying again will not help
      if (e instanceof SecretKeyError) return this.secretFailed(r, 'SecretUnreadable', e.message);
      return this.startFailed(r, e, []);
    }
    const values = Object.values(secrets);
    if (values.length > 0) this.secretValues.set(r.uid, values);
    const spec = containerSpec(r.task, { nodeName: node, ...this.d.spec }, secrets);
    let id: string;
    try {
      id = await this.d.starts.run(() => {
        marks?.add('agent.slot');
        return this.op('start', () => this.d.runtime.start(spec, marks && ((step) => marks.add(`agent.${step}`))));
      });
    } catch (e) {
      return this.startFailed(r, e, values);
    }
    r.startFailures = 0;
    marks?.add('agent.started');
    const at = new Date().toISOString();
    const c = containers.get(id) ?? containers.put({ id, taskUid: r.uid, taskRef: ref(r), phase: 'running', startedAt: at });
    writer.update(r.uid, { state: 'Running', containerId: id, startedAt: c.startedAt ?? at, ...marks?.patch() });
    const took = (Date.now() - r.seenAt) / 1000;
    agentTaskStart.observe(took);
    this.d.log.debug('task running', { task: ref(r), container: id, seconds: took });
    this.d.recorder?.normal(r.task, 'Started', `container ${short(id)} started on ${node}`);
    // A container that already exited (an event came first) is reported by the next reconcile.
    if (c.phase === 'exited') this.d.requeue(r.uid);
  }

  private async secretEnvOf(task: Task): Promise<Record<string, string>> {
    if (secretRefsOf(task.spec.env).length === 0) return {};
    if (!this.d.secretEnv) throw new Error('this agent has no source of secrets: the task references a Secret in its env');
    return this.d.secretEnv.resolve(task);
  }

  /** Secret values to hide in a report about uid: those its start used, else resolved again (best effort). */
  private async valuesToMask(uid: string, r: TaskRecord | undefined): Promise<string[]> {
    const known = this.secretValues.get(uid);
    if (known) return known;
    if (!r) return [];
    return Object.values(await this.secretEnvOf(r.task).catch(() => ({})));
  }

  /** A referenced secret or key does not exist, or cannot be opened: not retried here (the owner's next task tries again). */
  private secretFailed(r: TaskRecord, reason: string, message: string): void {
    this.d.log.warn('task failed to start: a secret of its env is missing or unreadable', { task: ref(r), reason, error: message });
    this.d.writer.update(r.uid, { state: 'Failed', reason, message, finishedAt: new Date().toISOString() });
    this.d.recorder?.warning(r.task, reason, message);
  }

  private async startFailed(r: TaskRecord, e: unknown, secretValues: readonly string[]): Promise<void> {
    const retryable = !(e instanceof RuntimeError) || e.retryable;
    // the engine not answering (dockerd restarting) says nothing about the task: wait for it, however long
    const engineDown = e instanceof RuntimeError && e.reason === ENGINE_UNAVAILABLE;
    if (!engineDown) r.startFailures++;
    if (retryable && (engineDown || r.startFailures < this.d.maxStartAttempts)) {
      // A half-created container may exist: look before trying again.
      await this.d.relist('start failed').catch(() => undefined);
      if (secretValues.length > 0) throw new Error(maskValues(errMsg(e), secretValues));
      throw e;
    }
    const reason = e instanceof RuntimeError ? e.reason : 'StartFailed';
    // an engine's error may quote the container's config: never let a secret value through
    const message = maskValues(errMsg(e), secretValues);
    this.d.log.warn('task failed to start', { task: ref(r), reason, error: message });
    this.d.writer.update(r.uid, { state: 'Failed', reason, message, finishedAt: new Date().toISOString() });
    this.d.recorder?.warning(r.task, reason, message);
  }

  private async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.op('stop', () => this.d.runtime.stop(id, graceSeconds));
    } catch (e) {
      if (!(await this.gone(id))) throw e;
    }
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      await this.op('remove', () => this.d.runtime.remove(id));
    } catch (e) {
      if (!(await this.gone(id))) throw e;
    }
    this.d.containers.delete(id);
  }

  /** True (and forgotten) when the engine no longer has the container. */
  private async gone(id: string): Promise<boolean> {
    const info = await this.d.runtime.inspect(id).catch(() => null);
    if (info !== undefined) return false;
    this.d.containers.delete(id);
    return true;
  }

  /** A runtime call, counted by operation and result. */
  private async op<T>(name: string, f: () => Promise<T>): Promise<T> {
    const end = agentRuntimeOpDuration.startTimer({ op: name });
    try {
      const v = await f();
      agentRuntimeOps.inc({ op: name, result: 'ok' });
      return v;
    } catch (e) {
      agentRuntimeOps.inc({ op: name, result: 'error' });
      throw e;
    } finally {
      end();
    }
  }
}

/** RuntimeError reason of a call the engine did not answer at all (runtime/docker/errors.ts). */
const ENGINE_UNAVAILABLE = 'EngineUnavailable';

const ref = (r: TaskRecord): string => `${r.ns}/${r.name}`;

/** A traced task's marks of this start, reported with its Starting and Running status (over the ones it came with). */
class TaskMarks {
  private readonly marks: TraceMarks;

  constructor(
    private readonly known: () => TraceMarks | undefined,
    first: TraceMarks,
  ) {
    this.marks = { ...first };
  }

  add(name: string): void {
    this.marks[name] ??= traceNow();
  }

  patch(): { trace: TraceMarks } {
    return { trace: addMarks(this.known(), this.marks) };
  }
}
const short = (id: string) => id.slice(0, 12);
