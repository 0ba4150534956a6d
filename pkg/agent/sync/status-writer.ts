/**
 * Task status writes for every node of this process: coalesced per task,
 * batched into transactions, each write a CAS on the task's status key.
 *
 *   update(uid, patch) ──► pending patch per task (later patches merge over earlier)
 *                               │  next tick, or when a transaction returns
 *                               ▼
 *        txn: for each of up to 40 tasks  [status rev == known] [spec exists] put {...known, ...patch}
 *                               │
 *        ok ──► known = written, rev = txn revision
 *        failed ──► per task, from what the failure branch read back:
 *                     spec gone or another uid     -> drop; onExternal(undefined)
 *                     status moved, now terminal   -> drop; onExternal(status) (someone set Lost)
 *                     status moved, still live     -> rebase the patch on it, write again
 *                     unchanged (another's fault)  -> write again
 *        unavailable ──► keep the patch, retry with jittered backoff
 *        refused for good (a bug) ──► log, count, drop it
 *
 * The transaction and the reading of its failure branch are the sink's
 * (pkg/store/task-status-batch.ts): etcd directly, or a server that runs the
 * same transaction for the agent.
 *
 * At most `concurrency` transactions are in flight; while they are, new
 * patches pile up and leave together (that is the batching). A task has at
 * most one write in flight, so writes of one task land in order.
 */
import { isApiError } from '../../api/errors.js';
import { TERMINAL_STATES, type TaskStatus } from '../../api/types.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { agentStatusTxns, agentStatusWrites } from '../../metrics/metrics.js';
import type { StatusWrite, StatusWriteResult } from '../../store/task-status-batch.js';
import { Backoff } from '../../util/backoff.js';
import { warnUnlessEtcdDown } from '../../store/etcd-health.js';

/**
 * Where a batch of status writes goes: etcd (plane/etcd.ts) or a server's
 * agent API (plane/api.ts). One answer per item, in order; throws an
 * ApiError Refused for a batch that will never be taken (dropped), any
 * other error for one to retry later.
 */
export interface StatusSink {
  write(items: StatusWrite[]): Promise<StatusWriteResult[]>;
}

export type StatusPatch = Partial<TaskStatus>;

/** Called when the status changed under the agent in a way it must act on. */
export type ExternalChange = (status: TaskStatus | undefined) => void;

interface Entry {
  uid: string;
  ns: string;
  name: string;
  known: TaskStatus;
  rev: string;
  patch?: StatusPatch;
  /** The patch in flight, restored on a failed write. */
  sending?: StatusPatch;
  released: boolean;
  onExternal: ExternalChange;
}

export interface StatusWriterOptions {
  /** Tasks per transaction: 2 compares each, etcd takes at most 128. */
  batch?: number;
  concurrency?: number;
}

export class StatusWriter {
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private inFlight = 0;
  private scheduled = false;
  private readonly backoff = new Backoff();
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly batch: number;
  private readonly concurrency: number;
  private closed = false;

  constructor(
    private readonly sink: StatusSink,
    private readonly log: Logger,
    opts: StatusWriterOptions = {},
  ) {
    this.batch = Math.min(opts.batch ?? 40, 60);
    this.concurrency = opts.concurrency ?? 8;
  }

  /**
   * Start tracking a task's status as read from etcd at `rev`. A task
   * already tracked takes it only if it is newer and nothing is in flight.
   */
  track(uid: string, ns: string, name: string, status: TaskStatus, rev: string, onExternal: ExternalChange): void {
    const e = this.entries.get(uid);
    if (!e) {
      this.entries.set(uid, { uid, ns, name, known: status, rev, released: false, onExternal });
      return;
    }
    e.released = false;
    e.onExternal = onExternal;
    if (!e.sending && BigInt(rev) > BigInt(e.rev)) {
      e.known = status;
      e.rev = rev;
    }
  }

  has(uid: string): boolean {
    return this.entries.has(uid);
  }

  /** The status as the agent believes it: etcd's, with unwritten patches on top. */
  view(uid: string): TaskStatus | undefined {
    const e = this.entries.get(uid);
    if (!e) return undefined;
    return e.sending || e.patch ? { ...e.known, ...e.sending, ...e.patch } : e.known;
  }

  update(uid: string, patch: StatusPatch): void {
    const e = this.entries.get(uid);
    if (!e || this.closed) return;
    e.patch = e.patch ? { ...e.patch, ...patch } : { ...patch };
    this.dirty.add(uid);
    this.schedule();
  }

  /** Forget the task once what is pending for it is written. */
  release(uid: string): void {
    const e = this.entries.get(uid);
    if (!e) return;
    e.released = true;
    if (!e.patch && !e.sending) this.entries.delete(uid);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (this.dirty.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stop writing (pending patches are dropped; call idle() first to flush). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.dirty.clear();
    this.wakeIdle();
  }

  private schedule(): void {
    if (this.scheduled || this.closed || this.retryTimer || this.inFlight >= this.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (!this.closed && this.inFlight < this.concurrency && this.dirty.size > 0) {
      const batch: Entry[] = [];
      for (const uid of this.dirty) {
        const e = this.entries.get(uid);
        if (!e || !e.patch) {
          this.dirty.delete(uid);
          continue;
        }
        if (e.sending) continue; // one write per task in flight; picked up when it returns
        this.dirty.delete(uid);
        batch.push(e);
        if (batch.length >= this.batch) break;
      }
      if (batch.length === 0) break;
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        if (this.dirty.size > 0) this.schedule();
        else this.wakeIdle();
      });
    }
    this.wakeIdle();
  }

  private async commit(batch: Entry[]): Promise<void> {
    const items: StatusWrite[] = [];
    for (const e of batch) {
      e.sending = e.patch;
      e.patch = undefined;
      items.push({ uid: e.uid, namespace: e.ns, name: e.name, status: { ...e.known, ...e.sending }, revision: e.rev });
    }
    let results: StatusWriteResult[];
    try {
      results = await this.sink.write(items);
    } catch (err) {
      if (isApiError(err, 'Refused')) {
        // it will never take this write (a bug): drop it rather than retry it for ever
        this.log.error('status write refused; dropped', { tasks: batch.map((e) => `${e.ns}/${e.name}`).slice(0, 5), error: errMsg(err) });
        agentStatusWrites.inc({ result: 'refused' }, batch.length);
        for (const e of batch) {
          e.sending = undefined;
          this.settle(e);
        }
        return;
      }
      for (const e of batch) this.restore(e);
      agentStatusWrites.inc({ result: 'error' }, batch.length);
      this.retryLater(err);
      return;
    }
    agentStatusTxns.inc();
    this.backoff.reset();
    batch.forEach((e, i) => this.resolve(e, items[i]!.status, results[i] ?? { result: 'retry' }));
  }

  /** What became of one task's write. */
  private resolve(e: Entry, sent: TaskStatus, r: StatusWriteResult): void {
    switch (r.result) {
      case 'written':
        e.known = sent;
        e.rev = r.revision;
        e.sending = undefined;
        agentStatusWrites.inc({ result: 'ok' });
        this.settle(e);
        return;
      case 'gone':
        agentStatusWrites.inc({ result: 'gone' });
        e.sending = e.patch = undefined;
        this.entries.delete(e.uid);
        e.onExternal(undefined);
        return;
      case 'retry':
        this.restore(e); // another task in the batch conflicted
        return;
      case 'conflict': {
        agentStatusWrites.inc({ result: 'conflict' });
        const status: TaskStatus = r.status ?? { state: 'Bound' };
        e.known = status;
        e.rev = r.revision;
        if (TERMINAL_STATES.has(status.state)) {
          this.log.info('task status changed under the agent', { task: `${e.ns}/${e.name}`, ...(status.nodeName ? { node: status.nodeName } : {}), state: status.state });
          e.sending = e.patch = undefined;
          this.settle(e);
          e.onExternal(status);
          return;
        }
        this.restore(e);
      }
    }
  }

  private restore(e: Entry): void {
    e.patch = e.patch ? { ...e.sending, ...e.patch } : e.sending;
    e.sending = undefined;
    this.dirty.add(e.uid);
  }

  private settle(e: Entry): void {
    if (e.patch) this.dirty.add(e.uid);
    else if (e.released) this.entries.delete(e.uid);
  }

  private retryLater(err: unknown): void {
    if (this.retryTimer || this.closed) return;
    const ms = this.backoff.next();
    warnUnlessEtcdDown(this.log, 'status write failed; retrying', { error: errMsg(err), retryInMs: ms }, err);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, ms);
  }

  private wakeIdle(): void {
    if (this.inFlight > 0 || (this.dirty.size > 0 && !this.closed)) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
