/**
 * Runs the health checks of a node's Running tasks and writes the outcome
 * into each task's status (only when it changes).
 *
 *   ensure(task, container) ──► one HealthTracker per spec.healthChecks[i]
 *        timer at tracker.nextCheckAt() ──► probe (HTTP | TCP | COMMAND) ──► tracker.record
 *                                                         │
 *        all checks folded: Unhealthy if any is, Healthy if all are, else Unknown
 *                                                         │ changed?
 *        StatusWriter.update {health, consecutiveFailures, lastHealthCheck, healthyAt, message}
 *
 * HTTP and TCP go to the host port named by the check (`port`: a port name
 * or index; or `portIndex`) among the task's bound ports. Hollow nodes run
 * no process: there every check is an exec, which the sim driver answers 0
 * while the task runs. The agent never kills for health: the leader's
 * health loop reads these fields and replaces the task.
 */
import type { Health, HealthCheck, ReadinessCheck, Task, TaskStatus } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import type { Logger } from '../../log/logger.js';
import { agentHealthChecks } from '../../metrics/metrics.js';
import { commandProbe, httpProbe, tcpProbe, type ProbeResult } from '../health/probes.js';
import { HealthTracker, type HealthState } from '../health/tracker.js';
import { orderedPorts } from '../env.js';
import type { Runtime } from '../runtime/runtime.js';
import type { HealthSupervisor } from './node-sync.js';
import type { StatusPatch } from './status-writer.js';

export interface HealthOptions {
  runtime: Runtime;
  writer: { update(uid: string, patch: StatusPatch): void };
  log: Logger;
  recorder?: Recorder;
  /** Hollow nodes: every check is an exec in the (simulated) container. */
  execOnly?: boolean;
}

interface Running {
  containerId: string;
  task: Task;
  trackers: HealthTracker[];
  timers: (NodeJS.Timeout | undefined)[];
  cancelled: boolean;
  /** What was last written (or read from the status at adoption). */
  health: Health;
  failures: number;
  message: string | undefined;
  healthyAt: string | undefined;
}

export class TaskHealth implements HealthSupervisor {
  private readonly running = new Map<string, Running>();

  constructor(private readonly o: HealthOptions) {}

  ensure(uid: string, containerId: string, task: Task, status: TaskStatus): void {
    const cur = this.running.get(uid);
    if (cur && cur.containerId === containerId) return;
    if (cur) this.stop(uid);
    const checks = task.spec.healthChecks ?? [];
    const startedMs = Date.parse(status.startedAt ?? '') || Date.now();
    const r: Running = {
      containerId,
      task: { ...task, status },
      trackers: [],
      timers: [],
      cancelled: false,
      health: status.health ?? 'Unknown',
      failures: status.consecutiveFailures ?? 0,
      message: status.message,
      healthyAt: status.healthyAt,
    };
    for (const c of checks) {
      try {
        r.trackers.push(new HealthTracker(c, startedMs));
      } catch (e) {
        this.o.log.warn('health check ignored', { task: `${task.metadata.namespace ?? 'default'}/${task.metadata.name}`, error: String(e) });
      }
    }
    this.running.set(uid, r);
    r.trackers.forEach((_, i) => this.schedule(uid, r, i));
  }

  stop(uid: string): void {
    const r = this.running.get(uid);
    if (!r) return;
    r.cancelled = true;
    for (const t of r.timers) clearTimeout(t);
    this.running.delete(uid);
  }

  private schedule(uid: string, r: Running, i: number): void {
    if (r.cancelled) return;
    const at = r.trackers[i]!.nextCheckAt();
    const t = setTimeout(() => void this.check(uid, r, i), Math.max(0, at - Date.now()));
    t.unref();
    r.timers[i] = t;
  }

  private async check(uid: string, r: Running, i: number): Promise<void> {
    if (r.cancelled) return;
    const tracker = r.trackers[i]!;
    const check = r.task.spec.healthChecks![i]!;
    const t0 = Date.now();
    const result = await this.probe(r, check, tracker.timeoutMs);
    if (r.cancelled) return;
    agentHealthChecks.inc({ protocol: this.o.execOnly ? 'SIM' : check.protocol, result: result.healthy ? 'healthy' : 'unhealthy' });
    tracker.record(result, Date.now(), t0);
    this.publish(uid, r);
    this.schedule(uid, r, i);
  }

  private probe(r: Running, check: HealthCheck, timeoutMs: number): Promise<ProbeResult> {
    if (this.o.execOnly || check.protocol === 'COMMAND') {
      const cmd = check.command?.length ? check.command : ['true'];
      return commandProbe(this.o.runtime, r.containerId, cmd, timeoutMs);
    }
    const port = checkPort(r.task, check);
    if (port === undefined) {
      return Promise.resolve({ healthy: false, message: `health check port ${check.port ?? `#${check.portIndex ?? 0}`} is not among the task's ports` });
    }
    return check.protocol === 'HTTP' ? httpProbe(port, check.path ?? '/', timeoutMs) : tcpProbe(port, timeoutMs);
  }

  /** Fold the checks into the task's health; write it when it changed. */
  private publish(uid: string, r: Running): void {
    const states = r.trackers.map((t) => t.state());
    const health = fold(states);
    const failures = Math.max(0, ...states.map((s) => s.consecutiveFailures));
    const worst = states.find((s) => s.health === 'Unhealthy') ?? states.find((s) => s.consecutiveFailures > 0) ?? states.find((s) => s.health !== 'Healthy') ?? states[0];
    const message = worst?.message;
    if (health === r.health && failures === r.failures && message === r.message) return;
    const last = states.map((s) => s.lastCheck ?? '').sort().at(-1);
    const becameUnhealthy = health === 'Unhealthy' && r.health !== 'Unhealthy';
    r.health = health;
    r.failures = failures;
    r.message = message;
    if (health === 'Healthy' && !r.healthyAt) r.healthyAt = new Date().toISOString();
    this.o.writer.update(uid, {
      health,
      consecutiveFailures: failures,
      ...(last ? { lastHealthCheck: last } : {}),
      ...(r.healthyAt ? { healthyAt: r.healthyAt } : {}),
      message,
    });
    if (becameUnhealthy) this.o.recorder?.warning(r.task, 'Unhealthy', message ?? 'health check failed');
  }
}

/** Marathon: healthy when every check is; unhealthy when any is. */
export function fold(states: HealthState[]): Health {
  if (states.some((s) => s.health === 'Unhealthy')) return 'Unhealthy';
  if (states.length > 0 && states.every((s) => s.health === 'Healthy')) return 'Healthy';
  return 'Unknown';
}

/** The host port a health or readiness check probes: by port name, by index (as `port` or `portIndex`). */
export function checkPort(task: Task, check: HealthCheck | ReadinessCheck): number | undefined {
  const ports = orderedPorts(task);
  if (check.port !== undefined && check.port !== '') {
    const byName = ports.find((p) => p.name === check.port);
    if (byName) return byName.port;
    if (/^\d+$/.test(check.port)) return ports[Number(check.port)]?.port;
    return undefined;
  }
  return ports[('portIndex' in check ? check.portIndex : undefined) ?? 0]?.port;
}
