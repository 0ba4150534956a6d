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
 *        etcd unavailable ──► keep the patch, retry with jittered backoff
 *        etcd refused it for good (a bug) ──► log, count, drop it
 *
 * At most `concurrency` transactions are in flight; while they are, new
 * patches pile up and leave together (that is the batching). A task has at
 * most one write in flight, so writes of one task land in order.
 */
import type { IKeyValue } from 'etcd3';
import { lookupKind } from '../../api/kinds.js';
import { TERMINAL_STATES, type TaskStatus } from '../../api/types.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { agentStatusTxns, agentStatusWrites } from '../../metrics/metrics.js';
import { specKey, statusKey } from '../../store/keys.js';
import { Store } from '../../store/store.js';
import { Backoff } from '../../util/backoff.js';
import { isApiError } from '../../api/errors.js';

const TASK = lookupKind('Task')!;

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
    private readonly store: Store,
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
    const txn = this.store.txn();
    const sent = new Map<Entry, TaskStatus>();
    for (const e of batch) {
      e.sending = e.patch;
      e.patch = undefined;
      const next = { ...e.known, ...e.sending };
      sent.set(e, next);
      Store.addPutStatus(txn, TASK, e.ns, e.name, next, e.rev);
    }
    let r;
    try {
      r = await txn.commit();
    } catch (err) {
      if (isApiError(err, 'Refused')) {
        // etcd will never take this write (a bug): drop it rather than retry it for ever
        this.log.error('status write refused by etcd; dropped', { tasks: batch.map((e) => `${e.ns}/${e.name}`).slice(0, 5), error: errMsg(err) });
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
    if (r.succeeded) {
      for (const e of batch) {
        e.known = sent.get(e)!;
        e.rev = r.revision;
        e.sending = undefined;
        this.settle(e);
      }
      agentStatusWrites.inc({ result: 'ok' }, batch.length);
      return;
    }
    for (const e of batch) this.resolveConflict(e, r.current);
  }

  /** Work out, from what the failure branch read, what became of one task's write. */
  private resolveConflict(e: Entry, current: Map<string, IKeyValue>): void {
    const spec = current.get(specKey(TASK, e.ns, e.name));
    const st = current.get(statusKey(TASK, e.ns, e.name));
    const uid = spec ? (JSON.parse(spec.value.toString()) as { metadata?: { uid?: string } }).metadata?.uid : undefined;
    if (!spec || uid !== e.uid) {
      agentStatusWrites.inc({ result: 'gone' });
      e.sending = e.patch = undefined;
      this.entries.delete(e.uid);
      e.onExternal(undefined);
      return;
    }
    const rev = st ? String(st.mod_revision) : '0';
    if (rev === e.rev) {
      this.restore(e); // another task in the batch conflicted
      return;
    }
    agentStatusWrites.inc({ result: 'conflict' });
    const status: TaskStatus = st ? JSON.parse(st.value.toString()) : { state: 'Bound' };
    e.known = status;
    e.rev = rev;
    if (TERMINAL_STATES.has(status.state)) {
      this.log.info('task status changed under the agent', { task: `${e.ns}/${e.name}`, ...(status.nodeName ? { node: status.nodeName } : {}), state: status.state });
      e.sending = e.patch = undefined;
      this.settle(e);
      e.onExternal(status);
      return;
    }
    this.restore(e);
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
    this.log.warn('status write failed; retrying', { error: errMsg(err), retryInMs: ms });
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
