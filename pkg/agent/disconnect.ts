/**
 * When a cut-off agent must stop its containers (Nomad's
 * `stop_after_client_disconnect`), pure: times are the agent's own
 * monotonic milliseconds, so nothing depends on clocks agreeing between
 * hosts.
 *
 *   heartbeat renewal sent at s ──► answered: the lease runs until at least s + TTL in etcd
 *   (etcd renews on receipt, at or after s)
 *        the servers: heartbeat key gone ──► node NotReady ──(node-lost grace)──► tasks Lost, replaced
 *
 *   deadline = s_last + TTL + after      (after: the servers' node-lost grace, or --stop-after-disconnect)
 *
 * The servers cannot give the tasks away before the deadline, so a cut-off
 * agent that stops its containers at the deadline (each with its kill
 * grace) never runs a task beside its replacement for longer than that
 * grace.
 *
 * An answer that etcd itself is unavailable (quorum lost) counts as contact
 * when it came while the lease surely still lived (before s_last + TTL):
 * without quorum nothing expires and the servers write nothing, and a
 * leader that returns extends every lease by its TTL. So a quorum outage
 * stops no container. (A server cut off from an etcd that still has quorum
 * says the same; an agent that reaches only such servers is trusted to be
 * on the majority's side.)
 */

export interface DisconnectConfig {
  /** The heartbeat lease's TTL (ms). */
  ttlMs: number;
  /** From the deadline's TTL on: how long until the servers give the tasks away (ms); undefined = never stop. */
  afterMs: number | undefined;
}

export class DisconnectClock {
  /** Send time of the newest renewal that was answered (or of an answer that etcd is out). */
  private contactAt: number;
  private fired = false;

  constructor(
    private cfg: DisconnectConfig,
    now: number,
  ) {
    this.contactAt = now;
  }

  configure(cfg: DisconnectConfig): void {
    this.cfg = cfg;
  }

  get config(): DisconnectConfig {
    return this.cfg;
  }

  /** Send time of the newest renewal answered (or counted as answered). */
  get lastContactAt(): number {
    return this.contactAt;
  }

  /** When the containers are to be stopped; undefined when never. */
  deadline(): number | undefined {
    if (this.cfg.afterMs === undefined) return undefined;
    return this.contactAt + this.cfg.ttlMs + this.cfg.afterMs;
  }

  /** Past the deadline and not acted on yet: the caller stops the containers now (once per disconnection). */
  due(now: number): boolean {
    const d = this.deadline();
    return !this.fired && d !== undefined && now >= d;
  }

  /** The caller acted on due(). */
  fire(): void {
    this.fired = true;
  }

  /** A renewal sent at `sentAt` was answered at `answeredAt`: etcd is unavailable (no quorum). */
  etcdOut(sentAt: number, answeredAt: number): void {
    if (answeredAt < this.contactAt + this.cfg.ttlMs) this.contact(sentAt);
  }

  /** Whether the containers were stopped for this disconnection and no contact came since. */
  get stopped(): boolean {
    return this.fired;
  }

  /**
   * A renewal sent at `sentAt` was answered. Check due() first: an agent
   * resumed after a SIGSTOP acts on the old deadline before this answer
   * moves it.
   */
  contact(sentAt: number): void {
    if (sentAt > this.contactAt) this.contactAt = sentAt;
    this.fired = false;
  }
}

/** `--stop-after-disconnect`: seconds (>= 0), or `off`; undefined (absent) = the servers' grace. */
export function parseStopAfterDisconnect(raw: string | undefined): number | 'off' | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim().toLowerCase();
  if (v === 'off') return 'off';
  if (!/^\d+(\.\d+)?$/.test(v)) throw new RangeError(`--stop-after-disconnect: "${raw}" is neither a number of seconds (0 or more) nor "off"`);
  return Number(v);
}
