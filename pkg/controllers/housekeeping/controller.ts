/**
 * etcd housekeeping, while this server leads (compute.ts decides):
 *
 *   every --compaction-interval (0 = off)   Status -> revision now; Compact to the
 *                                           revision seen at the previous tick;
 *                                           one log line and the gauge per compaction
 *   every quota check (30 s)                Status -> dbSize: the gauges, and a warning
 *                                           when it crosses 80% of --etcd-quota-bytes
 *
 * etcd's own --auto-compaction flags may be set or not: compacting to a
 * revision etcd already compacted past is answered "compacted" and ignored.
 * A standby does none of it and reports no size (the gauges are reset when
 * leadership is lost).
 */
import { errMsg, type Logger } from '../../log/logger.js';
import type { Runnable } from '../../manager/manager.js';
import { etcdCompactedRevision, etcdDbSize, etcdQuota } from '../../metrics/metrics.js';
import type { EtcdMaintenance } from '../../store/maintenance.js';
import { compactTarget, quotaCheck, QUOTA_WARN_RATIO } from './compute.js';

export interface HousekeepingOptions {
  /** 0: no compaction. */
  compactionIntervalMs: number;
  quotaBytes: number;
  /** How often the database size is read; default 30 s. */
  quotaCheckMs?: number;
}

export class Housekeeping implements Runnable {
  readonly name = 'housekeeping';
  readonly leaderOnly = true;
  private timers: NodeJS.Timeout[] = [];
  private previous: string | undefined;
  private lastCompacted: string | undefined;
  private over = false;
  private running = false;
  /** The steps, one after the other. */
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly m: EtcdMaintenance,
    private readonly log: Logger,
    private readonly o: HousekeepingOptions,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    this.previous = undefined;
    this.over = false;
    etcdQuota.set(this.o.quotaBytes);
    const every = (ms: number, f: () => Promise<void>) => {
      const t = setInterval(() => this.run(f), ms);
      t.unref();
      this.timers.push(t);
    };
    if (this.o.compactionIntervalMs > 0) {
      // the first tick only notes the revision: the first compaction is one interval later
      this.run(() => this.compact());
      every(this.o.compactionIntervalMs, () => this.compact());
    }
    this.run(() => this.checkQuota());
    every(this.o.quotaCheckMs ?? 30_000, () => this.checkQuota());
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // a step in flight is not awaited (etcd may be what is failing): it finds running false and sets nothing
    etcdDbSize.reset();
    etcdQuota.reset();
  }

  /** One step at a time: a slow etcd never piles ticks up. */
  private run(f: () => Promise<void>): void {
    this.busy = this.busy.then(() => (this.running ? f() : undefined)).catch((e: unknown) => this.log.warn('etcd housekeeping failed; next time', { error: errMsg(e) }));
  }

  private async compact(): Promise<void> {
    const now = (await this.m.status()).revision;
    const target = compactTarget(this.previous, this.lastCompacted);
    this.previous = now;
    if (target === undefined) return;
    try {
      if (!this.running) return;
      await this.m.compact(target);
      this.log.info('etcd compacted', { revision: target });
    } catch (e) {
      // etcd (or another server before this one led) already compacted past it
      if (!/compacted/.test(errMsg(e))) throw e;
      this.log.debug('etcd already compacted past this revision', { revision: target });
    }
    this.lastCompacted = target;
    etcdCompactedRevision.set(Number(target));
  }

  private async checkQuota(): Promise<void> {
    const { dbSize } = await this.m.status();
    if (!this.running) return;
    etcdDbSize.set(dbSize);
    const q = quotaCheck(dbSize, this.o.quotaBytes, this.over);
    this.over = q.over;
    const meta = { dbSize, quota: this.o.quotaBytes, percent: Math.round(q.ratio * 100) };
    if (q.change === 'over') this.log.warn(`etcd's database is past ${QUOTA_WARN_RATIO * 100}% of its quota: compact and defragment (stowctl admin defrag), or raise etcd's --quota-backend-bytes; at the quota etcd refuses every write`, meta);
    else if (q.change === 'back') this.log.info(`etcd's database is back under ${QUOTA_WARN_RATIO * 100}% of its quota`, meta);
  }
}
