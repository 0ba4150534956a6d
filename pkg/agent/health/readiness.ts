/**
 * Marathon's readiness rules for one check of one task, as a pure state
 * machine fed with probe results and the time they were taken (no timers
 * inside: the agent asks nextCheckAt() when to probe next).
 *
 *   task Running ──check──> not ready ──interval──> check ... ──success──> ready (for good)
 *
 * - The first check is at task start (Marathon checks as soon as the task
 *   runs), the next one intervalSeconds after each check began.
 * - timeoutSeconds: a probe that answered later than that is a failure,
 *   whatever it said.
 * - Once ready, always ready, and no more checks: readiness only gates a
 *   deployment; liveness is the health checks' job.
 */
import type { ReadinessCheck } from '../../api/types.js';
import { judgeTimeout, type ProbeResult } from './probes.js';

export type ReadinessRules = Pick<ReadinessCheck, 'intervalSeconds' | 'timeoutSeconds'>;

export interface ReadinessState {
  ready: boolean;
  /** When the check first passed, ISO 8601. */
  readyAt?: string;
  /** When the last check finished, ISO 8601. */
  lastCheck?: string;
  /** The last probe's message. */
  message?: string;
}

export class ReadinessTracker {
  private readyAtMs: number | undefined;
  private lastCheckMs: number | undefined;
  private message: string | undefined;
  private next: number;

  constructor(
    readonly rules: ReadinessRules,
    /** Task start (ms since the epoch): the first check is due then. */
    startedAtMs: number,
  ) {
    if (!(rules.intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be positive. Got: ${rules.intervalSeconds}`);
    if (!(rules.timeoutSeconds > 0)) throw new RangeError(`timeoutSeconds must be positive. Got: ${rules.timeoutSeconds}`);
    this.next = startedAtMs;
  }

  /** The timeout to give the probe. */
  get timeoutMs(): number {
    return this.rules.timeoutSeconds * 1000;
  }

  /** When the next probe should start (ms since the epoch); undefined once ready. */
  nextCheckAt(): number | undefined {
    return this.readyAtMs === undefined ? this.next : undefined;
  }

  /**
   * Record one probe result. `nowMs` is when it finished; `probeStartedMs`
   * when it began (defaults to nowMs: no duration to judge). Results after
   * the task became ready change nothing.
   */
  record(result: ProbeResult, nowMs: number, probeStartedMs = nowMs): ReadinessState {
    if (this.readyAtMs !== undefined) return this.state();
    this.next = probeStartedMs + this.rules.intervalSeconds * 1000;
    this.lastCheckMs = nowMs;
    const { healthy, message } = judgeTimeout(result, nowMs - probeStartedMs, this.rules.timeoutSeconds);
    this.message = message;
    if (healthy) this.readyAtMs = nowMs;
    return this.state();
  }

  state(): ReadinessState {
    const iso = (ms: number | undefined) => (ms !== undefined ? new Date(ms).toISOString() : undefined);
    const readyAt = iso(this.readyAtMs);
    const lastCheck = iso(this.lastCheckMs);
    return {
      ready: readyAt !== undefined,
      ...(readyAt ? { readyAt } : {}),
      ...(lastCheck ? { lastCheck } : {}),
      ...(this.message !== undefined ? { message: this.message } : {}),
    };
  }
}
