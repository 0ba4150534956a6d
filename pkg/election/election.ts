/**
 * Leader election on an etcd lease, with a fencing token.
 *
 *   grant lease (ttl) ──► put /stowage/leader/<lease> (create-if-absent, on the lease)
 *        │                       │
 *        │      lowest create revision under the prefix leads
 *        │                       │
 *   keepalive lost ──► "lost"    └─► "elected": fence = {key, createRevision}
 *
 * Every write a leader-only loop makes carries the fence: the transaction
 * also compares the election key's create revision, so once the lease
 * lapses (the key is gone) or was replaced, a deposed leader's late write
 * fails instead of racing the new leader.
 *
 * The etcd3 client's own election.observe() reports the wrong leader when
 * candidates campaign at once (ENVIRONMENT.md), so this watches the prefix
 * and reads the lowest create revision itself.
 */
import { EventEmitter } from 'node:events';
import type { Etcd3, Lease, Watcher } from 'etcd3';
import { errMsg, type Logger } from '../log/logger.js';
import { LEADER_PREFIX } from '../store/keys.js';
import { prefixEnd } from '../store/store.js';
import type { Fence } from '../store/txn.js';

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

/**
 * Events: 'elected' (fence), 'deposed' (reason), 'leader' (LeaderInfo | undefined).
 */
export class Election extends EventEmitter {
  private lease: Lease | undefined;
  private myKey: string | undefined;
  private myRev: string | undefined;
  private watcher: Watcher | undefined;
  private leading = false;
  private stopped = false;
  private current: LeaderInfo | undefined;
  private readonly prefix: string;

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

  /** The fencing token while leading, else undefined. */
  fence(): Fence | undefined {
    return this.leading && this.myKey && this.myRev ? { key: this.myKey, createRevision: this.myRev } : undefined;
  }

  /** Campaign until stopped: re-campaigns with a new lease whenever one is lost. */
  async start(): Promise<void> {
    this.stopped = false;
    void this.campaignLoop();
  }

  private async campaignLoop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        await this.campaignOnce();
        return;
      } catch (e) {
        this.log.warn('campaign failed; retrying', { error: errMsg(e) });
        await sleep(Math.min(2000, 200 * 2 ** attempt++));
      }
    }
  }

  private async campaignOnce(): Promise<void> {
    const lease = this.client.lease(this.opts.ttl, { autoKeepAlive: true });
    this.lease = lease;
    const id = await lease.grant();
    const key = `${this.prefix}${id}`;
    lease.on('lost', (err) => this.onLeaseLost(lease, err));
    const res = await this.client
      .if(key, 'Create', '==', 0)
      .then(this.client.put(key).value(this.opts.identity).lease(id))
      .commit();
    if (!res.succeeded) throw new Error(`election key ${key} already exists`);
    const got = await this.client.get(key).exec();
    const kv = got.kvs[0];
    if (!kv) throw new Error(`election key ${key} vanished right after it was written`);
    this.myKey = key;
    this.myRev = String(kv.create_revision);
    this.log.info('campaigning', { key, createRevision: this.myRev, ttl: this.opts.ttl });
    await this.watchCandidates();
  }

  private onLeaseLost(lease: Lease, err: Error): void {
    if (lease !== this.lease) return;
    this.log.warn('leadership lease lost', { error: errMsg(err) });
    this.lease = undefined;
    this.myKey = undefined;
    this.myRev = undefined;
    this.setLeading(false, `lease lost: ${errMsg(err)}`);
    if (this.watcher) void this.watcher.cancel().catch(() => undefined);
    this.watcher = undefined;
    if (!this.stopped) void this.campaignLoop();
  }

  /** Watch the candidates; whoever holds the lowest create revision leads. */
  private async watchCandidates(): Promise<void> {
    const w = await this.client.watch().prefix(this.prefix).create();
    this.watcher = w;
    const refresh = () => void this.refresh().catch((e) => this.log.warn('reading candidates failed', { error: errMsg(e) }));
    w.on('put', refresh).on('delete', refresh).on('connected', refresh);
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const res = await this.client.kv.range({
      key: Buffer.from(this.prefix),
      range_end: prefixEnd(this.prefix),
      sort_target: 'Create',
      sort_order: 'Ascend',
      limit: 1,
    });
    const kv = res.kvs[0];
    this.current = kv ? { identity: kv.value.toString(), key: kv.key.toString(), createRevision: String(kv.create_revision) } : undefined;
    this.emit('leader', this.current);
    const mine = !!kv && kv.key.toString() === this.myKey && String(kv.create_revision) === this.myRev;
    this.setLeading(mine, mine ? '' : 'another candidate leads');
  }

  private setLeading(on: boolean, reason: string): void {
    if (on === this.leading) return;
    this.leading = on;
    if (on) {
      this.log.info('elected leader', { key: this.myKey, createRevision: this.myRev });
      this.emit('elected', this.fence());
    } else {
      this.log.info('no longer leader', { reason });
      this.emit('deposed', reason);
    }
  }

  /** Step down: revoke the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watcher) await this.watcher.cancel().catch(() => undefined);
    this.watcher = undefined;
    const lease = this.lease;
    this.lease = undefined;
    this.setLeading(false, 'stopping');
    if (lease) await lease.revoke().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
