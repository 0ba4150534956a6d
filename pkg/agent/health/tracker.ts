/**
 * Marathon's health rules for one check of one task, as a pure state machine
 * fed with probe results and the time they were taken (no timers inside: the
 * agent asks nextCheckAt() when to probe next).
 *
 *   task start ──interval──> check ──interval──> check ...
 *   Unknown ──success──> Healthy ──failure × maxConsecutiveFailures──> Unhealthy ──success──> Healthy
 *
 * - gracePeriodSeconds: failures are ignored (not counted, health stays
 *   Unknown) while the task is younger than the grace period and has never
 *   been healthy. After the first success, every failure counts.
 * - maxConsecutiveFailures: Unhealthy once that many counted failures come in
 *   a row; one success resets the count. 0 means "never kill" in Marathon:
 *   the task still shows Unhealthy after a failure, but shouldKill stays false.
 * - timeoutSeconds: a probe that answered later than that is a failure,
 *   whatever it said (the probes enforce it too; see timeoutMs).
 * - intervalSeconds: the first check is one interval after task start, as
 *   Marathon schedules it; the next one interval after each check started.
 */
import type { Health, HealthCheck } from '../../api/types.js';
import { judgeTimeout, type ProbeResult } from './probes.js';

export type HealthRules = Pick<HealthCheck, 'gracePeriodSeconds' | 'intervalSeconds' | 'timeoutSeconds' | 'maxConsecutiveFailures'>;

export interface HealthState {
  health: Health;
  consecutiveFailures: number;
  /** When the last check (counted or not) finished, ISO 8601. */
  lastCheck?: string;
  /** The last probe's message (prefixed when a failure was ignored for grace). */
  message?: string;
  /** True once consecutive failures reached a non-zero maxConsecutiveFailures: the task should be replaced. */
  shouldKill: boolean;
}

export class HealthTracker {
  private health: Health = 'Unknown';
  private failures = 0;
  private everHealthy = false;
  private lastCheckMs: number | undefined;
  private message: string | undefined;
  private next: number;

  constructor(
    readonly rules: HealthRules,
    /** Task start (ms since the epoch): the grace period and the first check count from here. */
    private readonly startedAtMs: number,
  ) {
    if (!(rules.intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be positive. Got: ${rules.intervalSeconds}`);
    if (!(rules.timeoutSeconds > 0)) throw new RangeError(`timeoutSeconds must be positive. Got: ${rules.timeoutSeconds}`);
    this.next = startedAtMs + rules.intervalSeconds * 1000;
  }

  /** The timeout to give the probe. */
  get timeoutMs(): number {
    return this.rules.timeoutSeconds * 1000;
  }

  /** When the next probe should start (ms since the epoch). */
  nextCheckAt(): number {
    return this.next;
  }

  /**
   * Record one probe result. `nowMs` is when it finished; `probeStartedMs`
   * when it began (defaults to nowMs: no duration to judge).
   */
  record(result: ProbeResult, nowMs: number, probeStartedMs = nowMs): HealthState {
    this.next = probeStartedMs + this.rules.intervalSeconds * 1000;
    this.lastCheckMs = nowMs;
    const { healthy, message } = judgeTimeout(result, nowMs - probeStartedMs, this.rules.timeoutSeconds);
    if (healthy) {
      this.health = 'Healthy';
      this.failures = 0;
      this.everHealthy = true;
      this.message = message;
      return this.state();
    }
    const inGrace = !this.everHealthy && nowMs < this.startedAtMs + this.rules.gracePeriodSeconds * 1000;
    if (inGrace) {
      this.message = `ignored during the ${this.rules.gracePeriodSeconds} s grace period: ${message}`;
      return this.state();
    }
    this.failures++;
    this.message = message;
    if (this.failures >= Math.max(1, this.rules.maxConsecutiveFailures)) this.health = 'Unhealthy';
    return this.state();
  }

  state(): HealthState {
    const max = this.rules.maxConsecutiveFailures;
    return {
      health: this.health,
      consecutiveFailures: this.failures,
      ...(this.lastCheckMs !== undefined ? { lastCheck: new Date(this.lastCheckMs).toISOString() } : {}),
      ...(this.message !== undefined ? { message: this.message } : {}),
      shouldKill: max > 0 && this.failures >= max,
    };
  }
}
