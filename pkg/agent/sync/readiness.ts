/**
 * Runs the readiness checks of a node's Running tasks until they pass and
 * writes the outcome into each task's status (only when it changes).
 *
 *   ensure(task, container) ──► one ReadinessTracker per spec.readinessChecks[i]
 *        timer at tracker.nextCheckAt() ──► HTTP probe (httpStatusCodesForReady) ──► tracker.record
 *                                                         │
 *        ready when every check has passed once           │ changed?
 *        StatusWriter.update {ready, readyAt, readinessMessage}
 *
 * A task whose status already says ready (an agent that restarted) is not
 * probed again: readiness gates the services loop's rollout, once per task.
 * The port is looked up like a health check's. Hollow nodes run no process:
 * there the check is an exec, which the sim driver answers 0 while the task
 * runs.
 */
import type { ReadinessCheck, Task, TaskStatus } from '../../api/types.js';
import type { Logger } from '../../log/logger.js';
import { agentReadinessChecks } from '../../metrics/metrics.js';
import { commandProbe, httpProbe, type ProbeResult } from '../health/probes.js';
import { ReadinessTracker } from '../health/readiness.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkPort } from './health.js';
import type { HealthSupervisor } from './node-sync.js';
import type { StatusPatch } from './status-writer.js';

export interface ReadinessOptions {
  runtime: Runtime;
  writer: { update(uid: string, patch: StatusPatch): void };
  log: Logger;
  /** Hollow nodes: every check is an exec in the (simulated) container. */
  execOnly?: boolean;
}

interface Watched {
  containerId: string;
  task: Task;
  trackers: ReadinessTracker[];
  timers: (NodeJS.Timeout | undefined)[];
  cancelled: boolean;
  /** What was last written (or read from the status at adoption). */
  ready: boolean | undefined;
  message: string | undefined;
}

export class TaskReadiness implements HealthSupervisor {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly o: ReadinessOptions) {}

  ensure(uid: string, containerId: string, task: Task, status: TaskStatus): void {
    const cur = this.watched.get(uid);
    if (cur && cur.containerId === containerId) return;
    if (cur) this.stop(uid);
    const w: Watched = {
      containerId,
      task: { ...task, status },
      trackers: [],
      timers: [],
      cancelled: false,
      ready: status.ready,
      message: status.readinessMessage,
    };
    this.watched.set(uid, w);
    if (status.ready) return; // ready for good
    const startedMs = Date.parse(status.startedAt ?? '') || Date.now();
    for (const c of task.spec.readinessChecks ?? []) {
      try {
        w.trackers.push(new ReadinessTracker(c, startedMs));
      } catch (e) {
        this.o.log.warn('readiness check ignored', { task: `${task.metadata.namespace ?? 'default'}/${task.metadata.name}`, error: String(e) });
      }
    }
    w.trackers.forEach((_, i) => this.schedule(uid, w, i));
  }

  stop(uid: string): void {
    const w = this.watched.get(uid);
    if (!w) return;
    w.cancelled = true;
    for (const t of w.timers) clearTimeout(t);
    this.watched.delete(uid);
  }

  private schedule(uid: string, w: Watched, i: number): void {
    const at = w.trackers[i]!.nextCheckAt();
    if (w.cancelled || at === undefined) return;
    const t = setTimeout(() => void this.check(uid, w, i), Math.max(0, at - Date.now()));
    t.unref();
    w.timers[i] = t;
  }

  private async check(uid: string, w: Watched, i: number): Promise<void> {
    if (w.cancelled) return;
    const tracker = w.trackers[i]!;
    const t0 = Date.now();
    const result = await this.probe(w, w.task.spec.readinessChecks![i]!, tracker.timeoutMs);
    if (w.cancelled) return;
    const s = tracker.record(result, Date.now(), t0);
    agentReadinessChecks.inc({ result: s.ready ? 'ready' : 'not_ready' });
    this.publish(uid, w);
    this.schedule(uid, w, i);
  }

  private probe(w: Watched, check: ReadinessCheck, timeoutMs: number): Promise<ProbeResult> {
    if (this.o.execOnly) return commandProbe(this.o.runtime, w.containerId, ['true'], timeoutMs);
    const port = checkPort(w.task, check);
    if (port === undefined) return Promise.resolve({ healthy: false, message: `readiness check port ${check.port} is not among the task's ports` });
    return httpProbe(port, check.path ?? '/', timeoutMs, check.httpStatusCodesForReady ?? [200]);
  }

  /** Ready once every check has passed; write when that or the message changed. */
  private publish(uid: string, w: Watched): void {
    const states = w.trackers.map((t) => t.state());
    const ready = states.every((s) => s.ready);
    const message = (states.find((s) => !s.ready) ?? states.at(-1))?.message;
    if (ready === w.ready && message === w.message) return;
    w.ready = ready;
    w.message = message;
    const readyAt = ready ? states.map((s) => s.readyAt ?? '').sort().at(-1) : undefined;
    this.o.writer.update(uid, { ready, ...(readyAt ? { readyAt } : {}), readinessMessage: message });
  }
}
