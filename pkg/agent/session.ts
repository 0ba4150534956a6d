/**
 * The agent's heartbeat: one etcd lease (TTL --heartbeat-ttl, kept alive at
 * TTL/3 by the client) and, on it, one key per hosted node:
 *
 *   /stowage/heartbeats/<node> = {node, startedAt, version}   (lease)
 *
 * The leader's node-lifecycle loop marks a node NotReady when its key
 * vanishes. Hollow nodes of one process share the lease (they die together).
 *
 *   grant ──► put keys (batched) ──► keepalive ...
 *                 ▲                       │ lost (etcd unreachable past the TTL)
 *                 └── grant again (jittered backoff) ◄┘ ──► onRenewed(): register the nodes again
 *
 * close() revokes the lease: the keys go at once, so a clean shutdown is
 * seen as NotReady without waiting for the TTL.
 */
import type { Etcd3, Lease } from 'etcd3';
import { errMsg, type Logger } from '../log/logger.js';
import { agentLeaseLost } from '../metrics/metrics.js';
import { heartbeatKey } from '../store/keys.js';
import { Txn } from '../store/txn.js';
import { Backoff, retry } from '../util/backoff.js';
import type { Session } from './plane/plane.js';
import { etcdHealth, isEtcdUnavailable, warnUnlessEtcdDown } from '../store/etcd-health.js';
import { GRPCUnavailableError } from 'etcd3';
import type { HeartbeatObserver } from './plane/plane.js';

const PUTS_PER_TXN = 100;

export interface SessionOptions {
  client: Etcd3;
  nodes: string[];
  ttlSeconds: number;
  version: string;
  log: Logger;
  /** After a lost lease was replaced: register again (the node may have gone NotReady). */
  onRenewed: () => Promise<void>;
  observer?: HeartbeatObserver;
}

export class HeartbeatSession implements Session {
  private lease: Lease | undefined;
  private closed = false;
  private readonly startedAt = new Date().toISOString();
  private renewing: Promise<void> | undefined;

  constructor(private readonly o: SessionOptions) {}

  /** Grant the lease and put the heartbeat keys; retries until etcd answers. */
  async start(): Promise<void> {
    await this.establish();
  }

  get leaseId(): Promise<string> | undefined {
    return this.lease?.grant();
  }

  async close(): Promise<void> {
    this.closed = true;
    const l = this.lease;
    this.lease = undefined;
    if (!l) return;
    await Promise.race([l.revoke().catch((e) => this.o.log.warn('lease revoke failed', { error: errMsg(e) })), sleep(2000)]);
  }

  private async establish(): Promise<void> {
    const backoff = new Backoff();
    while (!this.closed) {
      const sentAt = performance.now();
      const lease = this.o.client.lease(this.o.ttlSeconds, { autoKeepAlive: true });
      try {
        const id = await lease.grant();
        await this.putKeys(id);
        this.o.observer?.renewed(sentAt);
        this.observe(lease);
        if (this.closed) {
          await lease.revoke().catch(() => undefined);
          return;
        }
        this.lease = lease;
        lease.on('lost', (e: Error) => this.onLost(lease, e));
        this.o.log.info('heartbeat lease granted', { lease: id, ttlSeconds: this.o.ttlSeconds, nodes: this.o.nodes.length });
        return;
      } catch (e) {
        lease.release();
        const ms = backoff.next();
        warnUnlessEtcdDown(this.o.log, 'heartbeat lease not granted; retrying', { error: errMsg(e), retryInMs: ms }, e);
        await sleep(ms);
      }
    }
  }

  /**
   * The keepalive stream's requests and answers, to the observer: each
   * answer is matched with the oldest request in flight (a stream answers
   * in order), so the time given is when that renewal was sent.
   */
  private observe(lease: Lease): void {
    const obs = this.o.observer;
    if (!obs) return;
    const inFlight: number[] = [];
    lease.on('keepaliveFired', () => inFlight.push(performance.now()));
    lease.on('keepaliveSucceeded', () => {
      const sentAt = inFlight.shift();
      if (sentAt !== undefined) obs.renewed(sentAt);
    });
    // (typed as a response; etcd3 emits the stream's error)
    lease.on('keepaliveFailed', (res: unknown) => {
      const e = res instanceof Error ? res : new Error(String(res));
      const sentAt = inFlight[0];
      inFlight.length = 0;
      // etcd answered without a quorum (not: no member reached at all)
      if (sentAt !== undefined && isEtcdUnavailable(e) && !(e instanceof GRPCUnavailableError) && /no leader|request timed out|leader changed/i.test(e.message)) obs.etcdOut(sentAt, performance.now());
    });
  }

  private async putKeys(leaseId: string): Promise<void> {
    const value = (node: string) => JSON.stringify({ node, startedAt: this.startedAt, version: this.o.version });
    const txns: Promise<unknown>[] = [];
    for (let i = 0; i < this.o.nodes.length; i += PUTS_PER_TXN) {
      const txn = new Txn(this.o.client);
      // The heartbeat key is the agent's own (no object, no CAS): a restarted agent takes it over.
      for (const n of this.o.nodes.slice(i, i + PUTS_PER_TXN)) txn.put(heartbeatKey(n), value(n), leaseId);
      txns.push(txn.commit());
    }
    await Promise.all(txns);
  }

  private onLost(lease: Lease, e: Error): void {
    if (this.closed || lease !== this.lease || this.renewing) return;
    agentLeaseLost.inc();
    // once per outage (the lease is lost once): a warning either way
    this.o.log.warn('heartbeat lease lost; granting a new one', { error: errMsg(e) });
    etcdHealth.quiet(e);
    this.lease = undefined;
    this.renewing = (async () => {
      await this.establish();
      if (this.closed) return;
      await retry(() => this.o.onRenewed(), {
        stopped: () => this.closed,
        onError: (err, ms) => warnUnlessEtcdDown(this.o.log, 'registering again failed; retrying', { error: errMsg(err), retryInMs: ms }, err),
      });
    })().finally(() => {
      this.renewing = undefined;
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
