/**
 * The runner every loop shares: informer changes become keys in a stingy
 * work queue; workers take a key, call reconcile(key), and act on the
 * result. One contract for all loops:
 *
 *   informer change ──► enqueue(key) ──► queue ──► worker ──► reconcile(key)
 *                                         ▲                      │
 *        requeueAfter / error backoff ────┴──────────────────────┘
 *
 * - reconcile returns {requeueAfter?} or throws; a throw is retried with
 *   per-key exponential backoff; a Fenced error (we lost leadership) is
 *   counted and dropped; a Refused one (etcd will never take that write:
 *   a bug) is logged as an error with its key, counted, and not retried.
 * - every line a loop logs carries {loop}; reconcile(key, log) gets a logger
 *   that adds {key, reconcileId}, and the runner logs each reconcile with it
 *   (debug when it went well, warn or error when it threw). Each reconcile
 *   is measured in stowage_reconcile_total / _duration_seconds.
 * - the first reconcile that completes in a term is logged at info with its
 *   own duration and the time since the term was won: how long a new leader
 *   took to act ("first reconcile after takeover").
 */
import { randomBytes } from 'node:crypto';
import { ApiError, isApiError } from '../api/errors.js';
import type { AnyResource } from '../api/types.js';
import type { Informer, InformerEvent } from '../informer/informer.js';
import { errMsg, type Logger } from '../log/logger.js';
import type { RunContext, Runnable } from '../manager/manager.js';
import * as metrics from '../metrics/metrics.js';
import { etcdHealth } from '../store/etcd-health.js';
import { WorkQueue } from '../workqueue/queue.js';
import { runWorkers } from '../workqueue/workers.js';

export interface ReconcileResult {
  requeueAfter?: number;
}

export abstract class Controller implements Runnable {
  readonly leaderOnly: boolean = true;
  protected queue = new WorkQueue();
  protected ctx: RunContext = {
    fence: () => {
      throw new ApiError('Fenced', `${this.name} is not running as leader; write refused`);
    },
  };
  private unsubscribe: (() => void)[] = [];
  private workers: Promise<void>[] = [];
  /** The reconcileId of each key being reconciled (a key is never reconciled twice at once). */
  private readonly running = new Map<string, string>();
  /** A reconcile has completed in this term (the takeover line was logged). */
  private actedThisTerm = false;
  /** This loop's logger: every line carries {loop}. */
  protected readonly log: Logger;

  constructor(
    readonly name: string,
    log: Logger,
    private readonly workerCount = 1,
  ) {
    this.log = log.child({ loop: name });
  }

  /** Subscribe to informers (via watch()) and wait for their caches. */
  protected abstract setup(): Promise<void>;
  /** One reconcile of key; `log` adds {key, reconcileId} to this loop's {loop}. */
  protected abstract reconcile(key: string, log: Logger): Promise<ReconcileResult | void>;

  /** Route an informer's changes to keys of this controller. */
  protected watch<T extends AnyResource>(inf: Informer<T>, toKeys: (e: InformerEvent<T>) => string | string[] | undefined): void {
    this.unsubscribe.push(
      inf.onChange((e) => {
        const k = toKeys(e);
        if (k === undefined) return;
        if (Array.isArray(k)) for (const x of k) this.queue.add(x);
        else this.queue.add(k);
      }),
    );
  }

  enqueue(key: string, afterMs = 0): void {
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  async start(ctx: RunContext): Promise<void> {
    this.ctx = ctx;
    this.actedThisTerm = false;
    const labels = { controller: this.name };
    this.queue = new WorkQueue({ onDepth: (d) => metrics.workqueueDepth.set(labels, d), onWait: (s) => metrics.workqueueWait.observe(labels, s) });
    this.unsubscribe.push(metrics.reportOldestRetry(this.name, () => this.queue.oldestRetryAgeMs(Date.now()) / 1000));
    // keys that failed while etcd was out are retried the moment it is back, not after their backoff
    const queue = this.queue;
    this.unsubscribe.push(etcdHealth.onResumed(() => queue.retryFailingNow()));
    await this.setup();
    this.workers.push(runWorkers(this.queue, { workers: this.workerCount, handle: (key) => this.timed(key), onError: (key, e) => this.failed(key, e) }));
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    this.queue.shutdown();
    await Promise.all(this.workers.splice(0));
  }

  private async timed(key: string): Promise<ReconcileResult | void> {
    const reconcileId = nextReconcileId();
    this.running.set(key, reconcileId);
    const log = this.log.child({ key, reconcileId });
    const end = metrics.reconcileDuration.startTimer({ controller: this.name });
    const began = Date.now();
    try {
      const r = await this.reconcile(key, log);
      const result = r?.requeueAfter !== undefined ? 'requeue' : 'success';
      metrics.reconcileTotal.inc({ controller: this.name, result });
      this.running.delete(key);
      log.debug('reconciled', { result, ...(r?.requeueAfter !== undefined ? { requeueAfterMs: r.requeueAfter } : {}) });
      this.firstOfTerm(key, began);
      return r;
    } finally {
      end();
    }
  }

  private firstOfTerm(key: string, began: number): void {
    const electedAt = this.ctx.electedAt;
    if (this.actedThisTerm || electedAt === undefined) return;
    this.actedThisTerm = true;
    const now = Date.now();
    this.log.info('first reconcile after takeover', { key, tookMs: now - began, sinceElectedMs: now - electedAt });
  }

  /** A reconcile threw: retry it with backoff (true) or drop it (false). */
  private failed(key: string, e: unknown): boolean {
    const reconcileId = this.running.get(key);
    this.running.delete(key);
    const ctx = { key, ...(reconcileId ? { reconcileId } : {}) };
    if (isApiError(e, 'Fenced')) {
      metrics.fencedWritesRefused.inc();
      metrics.reconcileTotal.inc({ controller: this.name, result: 'fenced' });
      this.log.warn('write refused: no longer leader', ctx);
      return false;
    }
    if (isApiError(e, 'Refused')) {
      metrics.reconcileTotal.inc({ controller: this.name, result: 'refused' });
      this.log.error('etcd refused a write for good; not retrying (a bug)', { ...ctx, error: errMsg(e) });
      this.queue.forget(key);
      return false;
    }
    metrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
    // while etcd is out (one line says so, pkg/store/etcd-health.ts) each failed reconcile is only debug
    const level = isApiError(e, 'Conflict') || etcdHealth.quiet(e) ? 'debug' : 'warn';
    this.log[level]('reconcile failed; retrying with backoff', { ...ctx, retries: this.queue.retries(key), error: errMsg(e) });
    return true;
  }
}

/**
 * Reconcile ids: 8 hex digits, from a random start counting up, so they stay
 * unique in a process without a call into the system's random source per
 * reconcile (a loaded server runs thousands a second).
 */
let reconcileSeq = randomBytes(4).readUInt32BE(0);
function nextReconcileId(): string {
  reconcileSeq = (reconcileSeq + 1) >>> 0;
  return reconcileSeq.toString(16).padStart(8, '0');
}
