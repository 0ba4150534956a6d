/**
 * The tasks bound to this process's nodes, from their assignment keys:
 *
 *   list /stowage/assignments/<node>/ (+ each task's current status, batched)
 *      └─► snapshot(node, items) for every hosted node
 *   watch the prefix from list revision + 1
 *      ├─ put    ─► put(assignment)   status rev = the key's mod revision
 *      │                               (the binding wrote both in one transaction;
 *      │                                a drained kill rewrites it without status)
 *      └─ delete ─► remove(node, ns, name)
 *   watch canceled (compaction) or failed ─► list again, snapshot, watch again
 *
 * One watch serves all hollow nodes of a process: their names share a
 * prefix (sim-0001, sim-0002, ...), so the watch covers
 * /stowage/assignments/sim- and drops keys of nodes it does not host.
 */
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { lookupKind } from '../../api/kinds.js';
import type { Task, TaskStatus } from '../../api/types.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { ROOT, statusKey } from '../../store/keys.js';
import { Backoff } from '../../util/backoff.js';
import { forEachLimit } from '../../util/limiter.js';

const TASK = lookupKind('Task')!;
const ASSIGNMENTS = `${ROOT}/assignments/`;
const READS_PER_TXN = 100;

export interface Assignment {
  node: string;
  ns: string;
  name: string;
  /** The task as bound (spec, metadata; status as of binding). */
  task: Task;
  /** The task's status to start from, and the status key's revision for CAS. */
  status: TaskStatus;
  statusRev: string;
}

export interface AssignmentHandler {
  /** Everything bound to `node` after a (re)list; what is not in it is not assigned. */
  snapshot(node: string, items: Assignment[]): void;
  put(a: Assignment): void;
  remove(node: string, ns: string, name: string): void;
}

export function parseAssignmentKey(key: string): { node: string; ns: string; name: string } | undefined {
  if (!key.startsWith(ASSIGNMENTS)) return undefined;
  const parts = key.slice(ASSIGNMENTS.length).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { node: parts[0]!, ns: parts[1]!, name: parts[2]! };
}

/** The watch prefix that covers all of `nodes`: their assignments' longest common prefix. */
export function assignmentWatchPrefix(nodes: string[]): string {
  if (nodes.length === 1) return `${ASSIGNMENTS}${nodes[0]}/`;
  let p = nodes[0] ?? '';
  for (const n of nodes) while (!n.startsWith(p)) p = p.slice(0, -1);
  return `${ASSIGNMENTS}${p}`;
}

export class AssignmentWatcher {
  private watcher: Watcher | undefined;
  private stopped = false;
  private relisting: Promise<void> | undefined;
  private readonly prefix: string;

  constructor(
    private readonly client: Etcd3,
    private readonly nodes: ReadonlySet<string>,
    private readonly handler: AssignmentHandler,
    private readonly log: Logger,
  ) {
    this.prefix = assignmentWatchPrefix([...nodes]);
  }

  /** List, hand over the snapshots, watch. Resolves once the first snapshot is delivered. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listAndWatch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.watcher;
    this.watcher = undefined;
    await w?.cancel().catch(() => undefined);
  }

  private async listAndWatch(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        const res = await this.client.getAll().prefix(this.prefix).exec();
        const revision = String(res.header.revision);
        const items = await this.withStatus(res.kvs);
        const byNode = new Map<string, Assignment[]>();
        for (const n of this.nodes) byNode.set(n, []);
        for (const a of items) byNode.get(a.node)?.push(a);
        for (const [node, list] of byNode) this.handler.snapshot(node, list);
        await this.watch(String(BigInt(revision) + 1n));
        return;
      } catch (e) {
        const ms = backoff.next();
        this.log.warn('listing assignments failed; retrying', { error: errMsg(e), retryInMs: ms });
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }

  /** Decode listed assignments and read each task's current status (batched). */
  private async withStatus(kvs: IKeyValue[]): Promise<Assignment[]> {
    const items: Assignment[] = [];
    for (const kv of kvs) {
      const a = this.decode(kv);
      if (a) items.push(a);
    }
    const chunks: Assignment[][] = [];
    for (let i = 0; i < items.length; i += READS_PER_TXN) chunks.push(items.slice(i, i + READS_PER_TXN));
    await forEachLimit(chunks, 8, async (chunk) => {
      const res = await this.client.kv.txn({
        compare: [],
        success: chunk.map((a) => ({ request_range: { key: Buffer.from(statusKey(TASK, a.ns, a.name)) } })),
        failure: [],
      });
      chunk.forEach((a, i) => {
        const kv = res.responses[i]?.response_range?.kvs[0];
        if (!kv) return;
        a.status = JSON.parse(kv.value.toString()) as TaskStatus;
        a.statusRev = String(kv.mod_revision);
      });
    });
    return items;
  }

  private decode(kv: IKeyValue): Assignment | undefined {
    const k = parseAssignmentKey(kv.key.toString());
    if (!k || !this.nodes.has(k.node)) return undefined;
    try {
      const task = JSON.parse(kv.value.toString()) as Task;
      // A binding writes the task with its status (and the status key in the same transaction,
      // so the revisions match); a drained kill rewrites it without one: the agent keeps the
      // status it tracks (revision "0" is never newer than a known one).
      if (!task.status) return { ...k, task, status: { state: 'Bound', nodeName: k.node }, statusRev: '0' };
      return { ...k, task, status: task.status, statusRev: String(kv.mod_revision) };
    } catch (e) {
      this.log.error('assignment is not a task; ignored', { key: kv.key.toString(), error: errMsg(e) });
      return undefined;
    }
  }

  private async watch(from: string): Promise<void> {
    const w = await this.client.watch().prefix(this.prefix).startRevision(from).create();
    if (this.stopped) {
      await w.cancel().catch(() => undefined);
      return;
    }
    this.watcher = w;
    w.on('data', (res: IWatchResponse) => this.onData(res));
    w.on('error', (e: Error) => this.onError(w, e));
  }

  private onData(res: IWatchResponse): void {
    for (const ev of res.events) {
      if (ev.type === 'Delete') {
        const k = parseAssignmentKey(ev.kv.key.toString());
        if (k && this.nodes.has(k.node)) this.handler.remove(k.node, k.ns, k.name);
      } else {
        const a = this.decode(ev.kv);
        if (a) this.handler.put(a);
      }
    }
  }

  private onError(w: Watcher, e: Error): void {
    if (this.stopped || this.relisting) return;
    this.log.warn('assignment watch canceled; listing again', { error: errMsg(e) });
    this.relisting = (async () => {
      if (this.watcher === w) this.watcher = undefined;
      await w.cancel().catch(() => undefined);
      await this.listAndWatch();
    })().finally(() => {
      this.relisting = undefined;
    });
  }
}
