/**
 * Every agent stream of this server is fed from one etcd watch of all
 * assignments (`/stowage/assignments/`), not one per agent: the server keeps
 * the assignments in memory, and a ring of recent changes for streams that
 * resume.
 *
 *   start (on the first stream): list the prefix at R ──► map key -> assignment; watch from R+1
 *      each watch response ──► map, ring (bounded), then to the subscribers of the nodes it touches
 *   subscribe(filter, from?):
 *      from inside the ring  ──► the changes after it (a resume misses nothing)
 *      otherwise             ──► a snapshot of the map (+ each task's current status)
 *   watch canceled (compaction) or failed ──► list again; every stream is ended
 *      (its agent resumes from before the new floor, so it gets a snapshot)
 *
 * Subscribers are indexed by node (and a list for prefixes), so a change
 * costs the streams of its node only, however many agents there are.
 *
 * The map and the ring hold each assignment as etcd's JSON text, decoded
 * when a stream needs it (a live change is decoded once for all its
 * streams): the tasks are in the leader's Task informer already, and a
 * string costs about half of the object it decodes to.
 */
import type { IWatchResponse, Watcher } from 'etcd3';
import { errMsg, type Logger } from '../../log/logger.js';
import { ASSIGNMENTS_PREFIX, decodeAssignment, parseAssignmentKey, withCurrentStatus, type Assignment } from '../../store/assignments.js';
import type { Store } from '../../store/store.js';
import { Backoff } from '../../util/backoff.js';
import { addMarks, traceIdOf, traceNow } from '../../api/trace.js';
import { warnUnlessEtcdDown } from '../../store/etcd-health.js';

/** Changes kept for resumes. */
const RING_MAX = 20_000;

export type Change = { type: 'put'; a: Assignment } | { type: 'delete'; node: string; ns: string; name: string };

/** An assignment as etcd holds it: its key's parts, its value, its mod revision. */
interface Raw {
  node: string;
  ns: string;
  name: string;
  value: string;
  modRev: string;
}
type RawChange = { type: 'put'; raw: Raw } | { type: 'delete'; node: string; ns: string; name: string };

const decodeRaw = (r: Raw): Assignment => decodeAssignment({ node: r.node, ns: r.ns, name: r.name }, r.value, r.modRev);
const decodeChange = (c: RawChange): Change => (c.type === 'put' ? { type: 'put', a: decodeRaw(c.raw) } : c);

export interface Filter {
  /** Exact node names, or every node whose name starts with prefix. */
  nodes?: ReadonlySet<string>;
  prefix?: string;
}

export interface HubSubscriber {
  filter: Filter;
  /** Live changes, one batch per etcd watch response (revision: of the batch). */
  changes(revision: string, changes: Change[]): void;
  /** The hub lost its watch and started over: the stream must end. */
  reset(): void;
}

const nodeOf = (c: RawChange) => (c.type === 'put' ? c.raw.node : c.node);
const matches = (f: Filter, node: string) => (f.nodes ? f.nodes.has(node) : node.startsWith(f.prefix ?? ''));

export class AssignmentsHub {
  private readonly map = new Map<string, Raw>();
  private ring: { rev: bigint; change: RawChange }[] = [];
  /** Every change after this revision is in the ring. */
  private floor = 0n;
  private rev = 0n;
  private watcher: Watcher | undefined;
  private started: Promise<void> | undefined;
  private readonly byNode = new Map<string, Set<HubSubscriber>>();
  private readonly byPrefix = new Set<HubSubscriber>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Every change up to here was handed to the subscribers. */
  get revision(): string {
    return String(this.rev);
  }

  /** List and watch (once); resolves when the map is loaded. */
  ready(): Promise<void> {
    this.started ??= this.load();
    return this.started;
  }

  /**
   * Register a subscriber. Returns what it must send first: the changes after
   * `from` when the ring has them all, else a snapshot (statuses read after).
   * Synchronous from the caller's point of view of the ring: nothing between
   * what is returned and the first live batch is lost.
   */
  subscribe(sub: HubSubscriber, from: string | undefined): { revision: string; changes?: Change[]; snapshot?: Assignment[] } {
    this.add(sub);
    const revision = String(this.rev);
    const f = from !== undefined && /^\d+$/.test(from) ? BigInt(from) : undefined;
    if (f !== undefined && f >= this.floor && f <= this.rev) {
      const changes = this.ring.filter((e) => e.rev > f && matches(sub.filter, nodeOf(e.change))).map((e) => decodeChange(e.change));
      return { revision, changes };
    }
    const snapshot = [...this.map.values()].filter((a) => matches(sub.filter, a.node)).map(decodeRaw);
    return { revision, snapshot };
  }

  /** The tasks' current statuses for a snapshot (the assignment holds the status as of binding). */
  withStatus(items: Assignment[]): Promise<void> {
    return withCurrentStatus(this.store.client, items);
  }

  unsubscribe(sub: HubSubscriber): void {
    if (sub.filter.nodes) {
      for (const n of sub.filter.nodes) {
        const set = this.byNode.get(n);
        set?.delete(sub);
        if (set?.size === 0) this.byNode.delete(n);
      }
    } else this.byPrefix.delete(sub);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.cancel().catch(() => undefined);
  }

  private add(sub: HubSubscriber): void {
    if (sub.filter.nodes) {
      for (const n of sub.filter.nodes) {
        let set = this.byNode.get(n);
        if (!set) this.byNode.set(n, (set = new Set()));
        set.add(sub);
      }
    } else this.byPrefix.add(sub);
  }

  private async load(): Promise<void> {
    const backoff = new Backoff();
    for (;;) {
      try {
        const res = await this.store.client.getAll().prefix(ASSIGNMENTS_PREFIX).exec();
        this.map.clear();
        for (const kv of res.kvs) this.apply(kv.key.toString(), kv.value, String(kv.mod_revision));
        this.rev = BigInt(res.header.revision);
        this.floor = this.rev;
        this.ring = [];
        const w = await this.store.client.watch().prefix(ASSIGNMENTS_PREFIX).startRevision(String(this.rev + 1n)).create();
        if (this.stopped) {
          await w.cancel().catch(() => undefined);
          return;
        }
        this.watcher = w;
        w.on('data', (r: IWatchResponse) => this.onData(r));
        w.on('error', (e: Error) => this.onError(w, e));
        return;
      } catch (e) {
        if (this.stopped) return;
        const ms = backoff.next();
        warnUnlessEtcdDown(this.log, 'listing assignments for the agents failed; retrying', { error: errMsg(e), retryInMs: ms }, e);
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }

  /** Put or delete one key in the map; the change (decoded, for the streams), when it is an assignment. */
  private apply(key: string, value: Buffer | undefined, modRev: string): { raw: RawChange; change: Change } | undefined {
    const k = parseAssignmentKey(key);
    if (!k) return undefined;
    if (value === undefined) {
      this.map.delete(key);
      const c = { type: 'delete' as const, ...k };
      return { raw: c, change: c };
    }
    try {
      const raw: Raw = { ...k, value: value.toString(), modRev };
      const a = decodeRaw(raw);
      this.map.set(key, raw);
      return { raw: { type: 'put', raw }, change: { type: 'put', a } };
    } catch (e) {
      this.log.error('assignment is not a task; ignored', { key, error: errMsg(e) });
      return undefined;
    }
  }

  private onData(r: IWatchResponse): void {
    const out = new Map<HubSubscriber, Change[]>();
    let rev = this.rev;
    const now = traceNow();
    for (const ev of r.events) {
      const c = this.apply(ev.kv.key.toString(), ev.type === 'Delete' ? undefined : ev.kv.value, String(ev.kv.mod_revision));
      rev = BigInt(ev.kv.mod_revision);
      if (!c) continue;
      // a traced task (api/trace.ts): when its assignment reached this server (live streams only)
      const ch = c.change;
      if (ch.type === 'put' && traceIdOf(ch.a.task)) ch.a.status = { ...ch.a.status, trace: addMarks(ch.a.status.trace, { 'server.assignment': now }) };
      this.ring.push({ rev, change: c.raw });
      const node = nodeOf(c.raw);
      for (const s of this.byNode.get(node) ?? []) push(out, s, ch);
      for (const s of this.byPrefix) if (matches(s.filter, node)) push(out, s, ch);
    }
    if (rev > this.rev) this.rev = rev;
    if (this.ring.length > RING_MAX) {
      const drop = this.ring.length - RING_MAX;
      this.floor = this.ring[drop - 1]!.rev;
      // changes of one revision stay together: drop up to the end of the floor's revision
      let i = drop;
      while (i < this.ring.length && this.ring[i]!.rev === this.floor) i++;
      this.ring = this.ring.slice(i);
    }
    const revision = String(this.rev);
    for (const [s, changes] of out) s.changes(revision, changes);
  }

  private onError(w: Watcher, e: Error): void {
    if (this.stopped || this.watcher !== w) return;
    this.watcher = undefined;
    warnUnlessEtcdDown(this.log, "the agents' assignment watch was canceled; listing again", { error: errMsg(e) }, e);
    void w.cancel().catch(() => undefined);
    const subs = new Set<HubSubscriber>([...this.byPrefix, ...[...this.byNode.values()].flatMap((s) => [...s])]);
    this.byNode.clear();
    this.byPrefix.clear();
    for (const s of subs) s.reset();
    this.started = this.load();
  }
}

function push(out: Map<HubSubscriber, Change[]>, s: HubSubscriber, c: Change): void {
  const l = out.get(s);
  if (l) l.push(c);
  else out.set(s, [c]);
}
