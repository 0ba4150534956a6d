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
import { errMsg, type Logger } from '../../log/logger.js';
import { ASSIGNMENTS_PREFIX, decodeAssignment, parseAssignmentKey, withCurrentStatus, type Assignment } from '../../store/assignments.js';
import { Backoff } from '../../util/backoff.js';
import type { AssignmentSource } from '../plane/plane.js';
import { warnUnlessEtcdDown } from '../../store/etcd-health.js';

export { parseAssignmentKey, type Assignment } from '../../store/assignments.js';

const ASSIGNMENTS = ASSIGNMENTS_PREFIX;

export interface AssignmentHandler {
  /** Everything bound to `node` after a (re)list; what is not in it is not assigned. */
  snapshot(node: string, items: Assignment[]): void;
  put(a: Assignment): void;
  remove(node: string, ns: string, name: string): void;
}

/** The watch prefix that covers all of `nodes`: their assignments' longest common prefix. */
export function assignmentWatchPrefix(nodes: string[]): string {
  if (nodes.length === 1) return `${ASSIGNMENTS}${nodes[0]}/`;
  let p = nodes[0] ?? '';
  for (const n of nodes) while (!n.startsWith(p)) p = p.slice(0, -1);
  return `${ASSIGNMENTS}${p}`;
}

export class AssignmentWatcher implements AssignmentSource {
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
        warnUnlessEtcdDown(this.log, 'listing assignments failed; retrying', { error: errMsg(e), retryInMs: ms }, e);
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
    await withCurrentStatus(this.client, items);
    return items;
  }

  private decode(kv: IKeyValue): Assignment | undefined {
    const k = parseAssignmentKey(kv.key.toString());
    if (!k || !this.nodes.has(k.node)) return undefined;
    try {
      return decodeAssignment(k, kv.value, String(kv.mod_revision));
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
    warnUnlessEtcdDown(this.log, 'assignment watch canceled; listing again', { error: errMsg(e) }, e);
    this.relisting = (async () => {
      if (this.watcher === w) this.watcher = undefined;
      await w.cancel().catch(() => undefined);
      await this.listAndWatch();
    })().finally(() => {
      this.relisting = undefined;
    });
  }
}
