/**
 * The runner of disconnect.ts: fed by the heartbeat session (every renewal
 * that landed, with its send time), it stops the hosted tasks' containers
 * once the agent has been cut off past the deadline, and lets them start
 * again (new tasks only) once a heartbeat lands.
 *
 *   session ──renewed(sentAt)──► [due? stop first] ──► clock.contact(sentAt) ──► resume()
 *   timer (250 ms) ─────────────► due? ──► one warn line, stop(reason)
 *
 * A process resumed after SIGSTOP sees its renewal's answer, or the timer,
 * first; either checks the old deadline before anything moves it.
 */
import type { Logger } from '../log/logger.js';
import { DisconnectClock } from './disconnect.js';
import type { HeartbeatObserver } from './plane/plane.js';

export interface DisconnectGuardOptions {
  log: Logger;
  ttlSeconds: number;
  /** --stop-after-disconnect: seconds, 'off', or undefined (the servers' node-lost grace). */
  override: number | 'off' | undefined;
  /** The servers' grace until they say it (the --etcd plane never does). */
  defaultGraceSeconds: number;
  /** Stop the containers of every hosted task with `reason`; returns how many tasks. */
  stop(reason: string): number;
  /** A heartbeat landed after a stop: new tasks may start again. */
  resume(): void;
  now?: () => number;
  checkEveryMs?: number;
}

export class DisconnectGuard implements HeartbeatObserver {
  private readonly clock: DisconnectClock;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private graceSeconds: number;
  private ttlSeconds: number;
  /** Counting starts at the first heartbeat that landed (an agent waiting for the servers at start hosts nothing yet). */
  private armed = false;

  constructor(private readonly o: DisconnectGuardOptions) {
    this.now = o.now ?? (() => performance.now());
    this.graceSeconds = o.defaultGraceSeconds;
    this.ttlSeconds = o.ttlSeconds;
    this.clock = new DisconnectClock(this.config(), this.now());
  }

  start(): void {
    if (this.o.override === 'off') return;
    this.timer = setInterval(() => this.check(), this.o.checkEveryMs ?? 250);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Seconds after the TTL the containers are stopped; undefined: never. */
  get afterSeconds(): number | undefined {
    return this.o.override === 'off' ? undefined : (this.o.override ?? this.graceSeconds);
  }

  renewed(sentAt: number, answer?: { ttlSeconds?: number; nodeLostGraceSeconds?: number }): void {
    this.check();
    if (answer?.ttlSeconds && answer.ttlSeconds > 0) this.ttlSeconds = answer.ttlSeconds;
    if (answer?.nodeLostGraceSeconds !== undefined && answer.nodeLostGraceSeconds >= 0) this.graceSeconds = answer.nodeLostGraceSeconds;
    this.clock.configure(this.config());
    const wasStopped = this.clock.stopped;
    this.clock.contact(sentAt);
    this.armed = true;
    if (wasStopped) {
      this.o.log.info('heartbeat landed again: new tasks may start; the tasks stopped while cut off stay ended');
      this.o.resume();
    }
  }

  etcdOut(sentAt: number, answeredAt: number): void {
    this.check();
    this.clock.etcdOut(sentAt, answeredAt);
  }

  /** Past the deadline: stop everything, once per disconnection. */
  check(): void {
    const now = this.now();
    if (!this.armed || !this.clock.due(now)) return;
    this.clock.fire();
    const after = this.afterSeconds!;
    const cutOffFor = (now - this.clock.lastContactAt) / 1000;
    const reason = `the agent was cut off from the cluster for ${cutOffFor.toFixed(1)} s (heartbeat TTL ${this.ttlSeconds} s + ${after} s): its tasks are given away, so it stopped their containers`;
    const tasks = this.o.stop(reason);
    this.o.log.warn('cut off from the cluster past the deadline: stopping the containers of every hosted task', { cutOffSeconds: Number(cutOffFor.toFixed(1)), ttlSeconds: this.ttlSeconds, afterSeconds: after, tasks });
  }

  private config() {
    const after = this.afterSeconds;
    return { ttlMs: this.ttlSeconds * 1000, afterMs: after === undefined ? undefined : after * 1000 };
  }
}
