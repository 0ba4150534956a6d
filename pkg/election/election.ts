/**
 * Leader election on an etcd lease, with a fencing token.
 *
 *   grant lease (ttl) ──► put /stowage/leader/<lease> (create-if-absent, on the lease)
 *        │                       │
 *        │      lowest create revision under the prefix leads
 *        │                       │
 *   keepalive lost ──► "deposed"  └─► "elected": the term's fence = {key, createRevision}
 *
 * Every write a leader-only loop makes carries the term's fence: the
 * transaction also compares the election key's create revision, so once
 * the lease lapses (the key is gone) a deposed leader's late write fails
 * instead of racing the new leader. Locally the fence fails closed too:
 * `fence()` throws Fenced whenever this candidate does not lead, so a write
 * can never go out without one.
 *
 * The etcd3 client's own election.observe() reports the wrong leader when
 * candidates campaign at once (ENVIRONMENT.md), so this watches the prefix
 * and reads the lowest create revision itself; reads that come back out of
 * order (an older revision than the last one applied) are ignored.
 *
 * A campaign that fails half-way revokes its lease (no orphan key can block
 * the election for a TTL); retries wait with full jitter.
 */
import { EventEmitter } from 'node:events';
import type { Etcd3, Lease, Watcher } from 'etcd3';
import { ApiError } from '../api/errors.js';
import { errMsg, type Logger } from '../log/logger.js';
import { LEADER_PREFIX } from '../store/keys.js';
import { prefixEnd } from '../store/store.js';
import type { Fence } from '../store/txn.js';
import { Backoff } from '../util/backoff.js';
import { warnUnlessEtcdDown } from '../store/etcd-health.js';

export interface ElectionOptions {
  /** Lease TTL in seconds (etcd's minimum is 2). */
  ttl: number;
  /** What this candidate says about itself (shown by /readyz). */
  identity: string;
  prefix?: string;
}

export interface LeaderInfo {
  identity: string;
  key: string;
  createRevision: string;
}

export const notLeader = (why = 'this process is not the leader'): ApiError => new ApiError('Fenced', `${why}; write refused`);

/**
 * Events: 'elected' (the term's Fence), 'deposed' (reason), 'leader' (LeaderInfo | undefined).
 */
export class Election extends EventEmitter {
  private lease: Lease | undefined;
  /** This candidate's key and its create revision: the token of the term it may win. */
  private mine: Fence | undefined;
  private watcher: Watcher | undefined;
  private leading = false;
  private stopped = true;
  private campaigning = false;
  private current: LeaderInfo | undefined;
  /** The store revision of the newest candidates read applied; older answers are stale. */
  private seenRev = -1n;
  private readonly prefix: string;
  private readonly backoff = new Backoff({ initialMs: 200, maxMs: 2000 });

  constructor(
    private readonly client: Etcd3,
    private readonly opts: ElectionOptions,
    private readonly log: Logger,
  ) {
    super();
    if (!Number.isInteger(opts.ttl) || opts.ttl < 2) {
      throw new RangeError(`--lease-ttl must be a whole number of seconds >= 2 (etcd's minimum); got ${opts.ttl}`);
    }
    this.prefix = opts.prefix ?? LEADER_PREFIX;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get leader(): LeaderInfo | undefined {
    return this.current;
  }

  /** The fencing token of the current term; throws Fenced when not leading. */
  fence(): Fence {
    if (!this.leading || !this.mine) throw notLeader();
    return this.mine;
  }

  /** Whether `f` is the token of the term being led now. */
  holds(f: Fence): boolean {
    return this.leading && this.mine?.key === f.key && this.mine.createRevision === f.createRevision;
  }

  /** Campaign until stopped: campaigns again with a new lease whenever one is lost. */
  async start(): Promise<void> {
    this.stopped = false;
    void this.campaignLoop();
  }

  private async campaignLoop(): Promise<void> {
    if (this.campaigning) return;
    this.campaigning = true;
    try {
      while (!this.stopped) {
        try {
          await this.campaignOnce();
          this.backoff.reset();
          return;
        } catch (e) {
          const ms = this.backoff.next();
          warnUnlessEtcdDown(this.log, 'campaign failed; retrying', { error: errMsg(e), retryInMs: ms }, e);
          await sleep(ms);
        }
      }
    } finally {
      this.campaigning = false;
    }
  }

  private async campaignOnce(): Promise<void> {
    const lease = this.client.lease(this.opts.ttl, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (err) => this.onLeaseLost(lease, err));
    try {
      const id = await lease.grant();
      const key = `${this.prefix}${id}`;
      const res = await this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(this.opts.identity).lease(id))
        .commit();
      if (!res.succeeded) throw new Error(`election key ${key} already exists`);
      const got = await this.client.get(key).exec();
      const kv = got.kvs[0];
      if (!kv) throw new Error(`election key ${key} vanished right after it was written`);
      if (this.stopped || this.lease !== lease) throw new Error('stopped while campaigning');
      this.mine = { key, createRevision: String(kv.create_revision) };
      this.log.info('campaigning', { key, createRevision: this.mine.createRevision, ttl: this.opts.ttl });
      await this.watchCandidates();
    } catch (e) {
      // Half a campaign must not leave a key behind that blocks the election for a TTL.
      if (this.lease === lease) this.lease = undefined;
      this.mine = undefined;
      this.dropWatcher();
      await lease.revoke().catch(() => lease.release());
      throw e;
    }
  }

  private onLeaseLost(lease: Lease, err: Error): void {
    if (lease !== this.lease) return;
    warnUnlessEtcdDown(this.log, 'leadership lease lost', { error: errMsg(err) }, err);
    this.lease = undefined;
    this.mine = undefined;
    this.setLeading(false, `lease lost: ${errMsg(err)}`);
    this.dropWatcher();
    if (!this.stopped) void this.campaignLoop();
  }

  /** Watch the candidates; whoever holds the lowest create revision leads. */
  private async watchCandidates(): Promise<void> {
    const w = this.client.watch().prefix(this.prefix).watcher();
    this.watcher = w;
    const refresh = () => void this.refresh().catch((e) => warnUnlessEtcdDown(this.log, 'reading candidates failed', { error: errMsg(e) }, e));
    w.on('put', refresh).on('delete', refresh).on('connected', refresh);
    // An unhandled 'error' would end the process: a canceled watch is re-created.
    w.on('error', (e: Error) => {
      if (w !== this.watcher) return;
      warnUnlessEtcdDown(this.log, 'candidate watch failed; watching again', { error: errMsg(e) }, e);
      this.dropWatcher();
      if (!this.stopped && this.mine) void this.watchCandidates().catch((err) => warnUnlessEtcdDown(this.log, 'watching candidates failed', { error: errMsg(err) }, err));
    });
    await this.refresh();
  }

  private dropWatcher(): void {
    const w = this.watcher;
    this.watcher = undefined;
    if (w) void w.cancel().catch(() => undefined);
  }

  private async refresh(): Promise<void> {
    const res = await this.client.kv.range({
      key: Buffer.from(this.prefix),
      range_end: prefixEnd(this.prefix),
      sort_target: 'Create',
      sort_order: 'Ascend',
      limit: 1,
    });
    const rev = BigInt(res.header.revision);
    if (rev < this.seenRev) return; // an older read finished after a newer one
    this.seenRev = rev;
    const kv = res.kvs[0];
    this.current = kv ? { identity: kv.value.toString(), key: kv.key.toString(), createRevision: String(kv.create_revision) } : undefined;
    this.emit('leader', this.current);
    const m = this.mine;
    const lead = !!kv && !!m && kv.key.toString() === m.key && String(kv.create_revision) === m.createRevision;
    this.setLeading(lead, lead ? '' : 'another candidate leads');
  }

  private setLeading(on: boolean, reason: string): void {
    if (on === this.leading) return;
    this.leading = on;
    if (on) {
      this.log.info('elected leader', { key: this.mine?.key, createRevision: this.mine?.createRevision });
      this.emit('elected', this.mine);
    } else {
      this.log.info('no longer leader', { reason });
      this.emit('deposed', reason);
    }
  }

  /**
   * Give up this term (revoke the lease: the next candidate takes over at
   * once) and campaign again after a jittered wait, unless stopped.
   */
  async resign(reason: string): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    this.mine = undefined;
    this.dropWatcher();
    this.setLeading(false, reason);
    if (lease) await lease.revoke().catch(() => lease.release());
    if (this.stopped) return;
    await sleep(this.backoff.next());
    if (!this.stopped) void this.campaignLoop();
  }

  /** Step down for good: revoke the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.dropWatcher();
    const lease = this.lease;
    this.lease = undefined;
    this.mine = undefined;
    this.setLeading(false, 'stopping');
    if (lease) await lease.revoke().catch(() => lease.release());
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
