/**
 * Whether etcd answers, as the process last saw it: one place that turns a
 * storm of "unavailable" errors (every loop, informer and lease failing at
 * once while etcd has no quorum) into two log lines:
 *
 *   ok ──(first unavailability)──► down   warn  "etcd unavailable: loops paused"
 *   down ──(a probe answers)────► ok      info  "etcd available again: loops resumed"
 *
 * While down, callers log their own failures at debug (`quiet(e)`), back
 * off as they already do, and the tracker probes etcd itself once a second
 * with a bounded linearizable read: the first answer ends the outage.
 * A refusal for good (isPermanentEtcdError) is not an outage.
 */
import { GRPCDeadlineExceededError, GRPCUnavailableError, type Etcd3 } from 'etcd3';
import { ApiError } from '../api/errors.js';
import type { Logger } from '../log/logger.js';
import { isPermanentEtcdError } from './errors.js';

/** A linearizable read needs a quorum: it fails (or never answers) without one. */
const PROBE_KEY = '/stowage/readyz';

export class EtcdTimeout extends Error {}

/** One linearizable read of etcd, answered or failed within timeoutMs (never longer). */
export async function probeEtcd(client: Etcd3, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new EtcdTimeout(`no answer within ${timeoutMs / 1000} s (quorum lost or unreachable)`)), timeoutMs);
  });
  try {
    // the deadline ends the call itself; the race bounds the client's own retries across members
    await Promise.race([client.get(PROBE_KEY).options({ deadline: Date.now() + timeoutMs }).exec(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** etcd's (or grpc's) own words for "no answer": unreachable, deadline, no leader, a lease lost with the connection. */
const OUTAGE = /^(14 UNAVAILABLE|4 DEADLINE_EXCEEDED)\b|context deadline exceeded|etcdserver: (no leader|request timed out|leader changed)|lost connection to etcd/i;

/**
 * True for what an etcd outage looks like: the etcd client's unavailability,
 * or a server's 503 that names etcd (an agent on the API); not a refusal,
 * a conflict, or a server that does not answer at all.
 */
export function isEtcdUnavailable(e: unknown): boolean {
  if (e instanceof ApiError) return e.code === 'Unavailable' && /etcd/i.test(e.message);
  if (e instanceof EtcdTimeout || e instanceof GRPCUnavailableError || e instanceof GRPCDeadlineExceededError) return true;
  if (isPermanentEtcdError(e)) return false;
  return OUTAGE.test(e instanceof Error ? e.message : String(e));
}

export class EtcdHealth {
  private downSince: number | undefined;
  private reason = '';
  private probing: NodeJS.Timeout | undefined;
  private client: Etcd3 | undefined;
  private log: Logger | undefined;
  private readonly resumed = new Set<() => void>();
  private lines = { paused: 'etcd unavailable: loops paused', resumed: 'etcd available again: loops resumed' };

  /**
   * Give the tracker its logger (for the two lines) and, when the process
   * talks to etcd itself, its client (for the probe; without one, ok() ends
   * an outage: an agent on the servers' API calls it when a heartbeat lands).
   */
  use(client: Etcd3 | undefined, log: Logger, lines?: { paused: string; resumed: string }): void {
    this.client = client;
    this.log = log;
    if (lines) this.lines = lines;
  }

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /**
   * Report a failure. True when it is part of an etcd outage: the caller
   * logs it at debug, not warn (the outage has its one line).
   */
  quiet(e: unknown): boolean {
    // during an outage, a server that is slow to answer (it waits on etcd) is part of it
    if (this.down && e instanceof ApiError && e.code === 'Unavailable') return true;
    if (!isEtcdUnavailable(e)) return false;
    this.markDown(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    return true;
  }

  /** Report that etcd answered (a write, a read, a probe). */
  ok(): void {
    if (this.downSince === undefined) return;
    const downForMs = Date.now() - this.downSince;
    this.downSince = undefined;
    clearTimeout(this.probing);
    this.probing = undefined;
    this.log?.info(this.lines.resumed, { downForMs });
    for (const f of [...this.resumed]) f();
  }

  /** Call f each time an outage ends; returns the unsubscribe. */
  onResumed(f: () => void): () => void {
    this.resumed.add(f);
    return () => this.resumed.delete(f);
  }

  markDown(reason: string): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.reason = reason;
    this.log?.warn(this.lines.paused, { reason });
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (!this.client || this.probing) return;
    this.probing = setTimeout(() => {
      this.probing = undefined;
      if (this.downSince === undefined || !this.client) return;
      probeEtcd(this.client, 1000).then(
        () => this.ok(),
        () => this.scheduleProbe(),
      );
    }, 1000);
    this.probing.unref();
  }

  /** Stop probing (process shutdown). */
  close(): void {
    clearTimeout(this.probing);
    this.probing = undefined;
    this.client = undefined;
  }

  /** The reason of the outage under way, for /readyz and the like. */
  get lastReason(): string {
    return this.reason;
  }
}

/** The process's tracker: every loop, informer and lease of a process shares one etcd. */
export const etcdHealth = new EtcdHealth();

/** Log a failure at warn, or at debug when it is part of an etcd outage already logged once. */
export function warnUnlessEtcdDown(log: Logger, message: string, meta: Record<string, unknown>, e: unknown): void {
  if (etcdHealth.quiet(e)) log.debug(message, meta);
  else log.warn(message, meta);
}
