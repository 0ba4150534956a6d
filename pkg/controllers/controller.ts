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
 * - every reconcile is logged with {controller, key, reconcileId} on error
 *   and measured in stowage_reconcile_total / _duration_seconds.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, isApiError } from '../api/errors.js';
import type { AnyResource } from '../api/types.js';
import type { Informer, InformerEvent } from '../informer/informer.js';
import { errMsg, type Logger } from '../log/logger.js';
import type { RunContext, Runnable } from '../manager/manager.js';
import * as metrics from '../metrics/metrics.js';
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

  constructor(
    readonly name: string,
    protected readonly log: Logger,
    private readonly workerCount = 1,
  ) {}

  /** Subscribe to informers (via watch()) and wait for their caches. */
  protected abstract setup(): Promise<void>;
  protected abstract reconcile(key: string): Promise<ReconcileResult | void>;

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
    this.queue = new WorkQueue({ onDepth: (d) => metrics.workqueueDepth.set({ controller: this.name }, d) });
    this.unsubscribe.push(metrics.reportOldestRetry(this.name, () => this.queue.oldestRetryAgeMs(Date.now()) / 1000));
    await this.setup();
    this.workers.push(runWorkers(this.queue, { workers: this.workerCount, handle: (key) => this.timed(key), onError: (key, e) => this.failed(key, e) }));
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    this.queue.shutdown();
    await Promise.all(this.workers.splice(0));
  }

  private async timed(key: string): Promise<ReconcileResult | void> {
    const end = metrics.reconcileDuration.startTimer({ controller: this.name });
    try {
      const r = await this.reconcile(key);
      metrics.reconcileTotal.inc({ controller: this.name, result: r?.requeueAfter !== undefined ? 'requeue' : 'success' });
      return r;
    } finally {
      end();
    }
  }

  /** A reconcile threw: retry it with backoff (true) or drop it (false). */
  private failed(key: string, e: unknown): boolean {
    if (isApiError(e, 'Fenced')) {
      metrics.fencedWritesRefused.inc();
      metrics.reconcileTotal.inc({ controller: this.name, result: 'fenced' });
      this.log.warn('write refused: no longer leader', { controller: this.name, key });
      return false;
    }
    if (isApiError(e, 'Refused')) {
      metrics.reconcileTotal.inc({ controller: this.name, result: 'refused' });
      this.log.error('etcd refused a write for good; not retrying (a bug)', { controller: this.name, key, error: errMsg(e) });
      this.queue.forget(key);
      return false;
    }
    metrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
    const level = isApiError(e, 'Conflict') ? 'debug' : 'warn';
    this.log[level]('reconcile failed; retrying with backoff', {
      controller: this.name,
      key,
      reconcileId: randomBytes(4).toString('hex'),
      retries: this.queue.retries(key),
      error: errMsg(e),
    });
    return true;
  }
}
