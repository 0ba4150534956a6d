/**
 * The heartbeat through the servers (`--server`): a server grants an etcd
 * lease with the TTL and puts the nodes' heartbeat keys on it
 * (POST /api/v1/agent/sessions); the agent renews it every TTL/3 through
 * whichever server answers (POST .../sessions/<id>/keepalive). When the
 * agent dies the calls stop and the keys vanish within the TTL, as with a
 * lease of its own; close() revokes it (DELETE), so a clean stop is
 * NotReady at once.
 *
 *   create ──► keepalive every TTL/3 ...
 *                 │ 404: the lease ran out (no server reached for a TTL)
 *                 └──► create again ──► onRenewed(): register the nodes again
 */
import { isApiError } from '../../api/errors.js';
import { errMsg } from '../../log/logger.js';
import { agentLeaseLost } from '../../metrics/metrics.js';
import { Backoff, retry } from '../../util/backoff.js';
import type { ApiClient } from './api-client.js';
import type { Session, SessionOptions } from './plane.js';
import { etcdHealth, isEtcdUnavailable, warnUnlessEtcdDown } from '../../store/etcd-health.js';

export class ApiSession implements Session {
  private id: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private renewing = false;
  /** The last heartbeat found etcd unavailable (quorum lost). */
  private etcdOut = false;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly client: ApiClient,
    private readonly o: SessionOptions,
  ) {}

  async start(): Promise<void> {
    await this.establish();
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const id = this.id;
    this.id = undefined;
    if (!id) return;
    await Promise.race([
      this.client.call('DELETE', `/api/v1/agent/sessions/${id}`, undefined, { lane: 'heartbeat' }).catch((e) => this.o.log.warn('ending the heartbeat session failed', { error: errMsg(e) })),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
  }

  private async establish(): Promise<void> {
    const backoff = new Backoff();
    while (!this.closed) {
      const sentAt = performance.now();
      try {
        const r = await this.client.call<{ id: string; ttlSeconds: number; nodeLostGraceSeconds?: number }>('POST', '/api/v1/agent/sessions', {
          nodes: this.o.nodes,
          ttlSeconds: this.o.ttlSeconds,
          startedAt: this.startedAt,
          version: this.o.version,
        });
        if (this.closed) {
          await this.client.call('DELETE', `/api/v1/agent/sessions/${r.id}`).catch(() => undefined);
          return;
        }
        this.id = r.id;
        this.o.observer?.renewed(sentAt, r);
        etcdHealth.ok();
        this.o.log.info('heartbeat session started', { session: r.id, server: this.client.server, ttlSeconds: r.ttlSeconds, nodes: this.o.nodes.length });
        return;
      } catch (e) {
        const ms = backoff.next();
        if (isApiError(e, 'Unauthorized') || isApiError(e, 'Forbidden')) {
          // a token problem does not pass by itself: say so loudly (never the token)
          this.o.log.error('the server refused the heartbeat session: check --token-file (role node, user = the node name); retrying', { error: errMsg(e), retryInMs: ms });
        } else warnUnlessEtcdDown(this.o.log, 'heartbeat session not started; retrying', { error: errMsg(e), retryInMs: ms }, e);
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }

  /**
   * The next heartbeat a third of the TTL after the last one was sent (not
   * after it was answered): a slow answer must not stretch the gap between
   * contacts, which the disconnect guard needs shorter than the TTL.
   */
  private schedule(lastSentAt?: number): void {
    if (this.closed) return;
    const every = Math.max(500, (this.o.ttlSeconds * 1000) / 3);
    const since = lastSentAt === undefined ? 0 : performance.now() - lastSentAt;
    this.timer = setTimeout(() => void this.beat(), Math.max(100, every - since));
  }

  private async beat(): Promise<void> {
    const id = this.id;
    if (this.closed || !id) return;
    const sentAt = performance.now();
    // while etcd is known to be out, ask /readyz at once too: its prompt answer keeps the guard's chain of contacts unbroken
    const probe = this.etcdOut ? this.askReadyz() : undefined;
    try {
      // a server that hangs must not hold the heartbeat past the TTL: the next one is tried
      const r = await this.client.call<{ ttlSeconds?: number; nodeLostGraceSeconds?: number }>('POST', `/api/v1/agent/sessions/${id}/keepalive`, undefined, { timeoutMs: Math.max(1000, (this.o.ttlSeconds * 1000) / 3), lane: 'heartbeat' });
      this.o.observer?.renewed(sentAt, r);
      this.etcdOut = false;
      etcdHealth.ok();
    } catch (e) {
      if (isEtcdUnavailable(e)) {
        this.o.observer?.etcdOut(sentAt, performance.now());
        this.etcdOut = true;
      } else if (!isApiError(e, 'NotFound')) this.etcdOut = await (probe ?? this.askReadyz());
      if (isApiError(e, 'NotFound') && !this.renewing) return this.renew(e);
      warnUnlessEtcdDown(this.o.log, 'heartbeat failed; trying again', { error: errMsg(e) }, e);
    }
    this.schedule(sentAt);
  }

  /**
   * A keepalive that got no answer (a server waits on an etcd without
   * quorum longer than the agent waits): /readyz answers promptly whether
   * etcd is there. "etcd unavailable" tells the disconnect guard the agent
   * is not cut off from the servers; anything else tells it nothing.
   */
  private async askReadyz(): Promise<boolean> {
    if (!this.o.observer) return false;
    const sentAt = performance.now();
    try {
      // an answer within half the TTL still lands while the lease surely lives (a loaded server may be slow)
      await this.client.call('GET', '/readyz', undefined, { timeoutMs: Math.max(1500, (this.o.ttlSeconds * 1000) / 2), lane: 'heartbeat' });
      return false;
    } catch (e) {
      if (!isEtcdUnavailable(e)) return false;
      this.o.observer.etcdOut(sentAt, performance.now());
      return true;
    }
  }

  /** The lease ran out: a new session, then register again (the nodes may have gone NotReady). */
  private async renew(e: unknown): Promise<void> {
    agentLeaseLost.inc();
    warnUnlessEtcdDown(this.o.log, 'heartbeat session lost; starting a new one', { error: errMsg(e) }, e);
    this.renewing = true;
    this.id = undefined;
    try {
      await this.establish();
      if (this.closed) return;
      this.schedule();
      await retry(() => this.o.onRenewed(), {
        stopped: () => this.closed,
        onError: (err, ms) => warnUnlessEtcdDown(this.o.log, 'registering again failed; retrying', { error: errMsg(err), retryInMs: ms }, err),
      });
    } finally {
      this.renewing = false;
    }
  }
}
