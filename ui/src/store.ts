/**
 * The watched resources, from ONE Server-Sent Events stream of every kind the UI shows
 * (`GET /api/v1/watch?kinds=...`, docs/api.md), each kind held as a map by namespace/name.
 * One connection, not one per kind: a browser keeps at most six HTTP/1.1 connections to a
 * server, and the actions and logs need theirs.
 *
 *   open without R ──► ADDED of every kind (into fresh maps) ─► LISTED: the maps replace
 *                      the old ones at once (nothing half-loaded is ever drawn)
 *   then changes ────► applied in revision order; `revision` = the last id applied
 *   the stream ends ─► (a drop, a restart, the server's TooSlow) open again from `revision`:
 *                      exactly the changes after it. A refused resume (410 after compaction;
 *                      503 twice) or a `Gone` starts over without R. A drop before LISTED
 *                      resumes the state shown before, or starts over if there is none.
 *
 * Subscribers hear of changes at most once per animation frame. Each kind has a `version`
 * (any change) and a `members` count (objects added or removed): derived data (selectors.ts)
 * is recomputed only when the versions it reads have moved.
 */
import type { AnyResource } from '../../pkg/api/types.js';

export const KINDS = ['nodes', 'services', 'tasks', 'jobs', 'jobruns', 'events'] as const;
export type Kind = (typeof KINDS)[number];
export type LinkState = 'connecting' | 'live' | 'retrying';

/** The `kind` each event's object names -> the collection it goes to. */
const BY_KIND: Record<string, Kind> = { Node: 'nodes', Service: 'services', Task: 'tasks', Job: 'jobs', JobRun: 'jobruns', Event: 'events' };

export interface Collection {
  items: Map<string, AnyResource>;
  /** The stream's state (the same for every kind: there is one stream). */
  state: LinkState;
  /** Bumped on every change of this kind. */
  version: number;
  /** Bumped when an object of this kind comes or goes (not when one changes). */
  members: number;
}

export interface ReadyInfo {
  leader: string | null;
  etcd: string;
}

export const keyOf = (o: AnyResource): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;

export class Store {
  readonly kinds = new Map<Kind, Collection>();
  ready: ReadyInfo | undefined;
  /** The state of the stream. */
  link: LinkState = 'connecting';
  /** True once a whole list has arrived (until then the views say they are loading). */
  synced = false;
  /** The revision of the last event applied (set once synced): the stream resumes from it. */
  revision: string | undefined;
  /** Bumped on every change: views compare it to skip work. */
  version = 0;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  private es: EventSource | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Resumes from `revision` refused in a row (410 after compaction, or etcd away: 503). */
  private refused = 0;

  constructor(private readonly base = '') {
    for (const k of KINDS) this.kinds.set(k, { items: new Map(), state: 'connecting', version: 0, members: 0 });
  }

  start(): void {
    this.open();
    void this.refreshReady();
    // who leads is not on the watch stream: read it again when the tab is looked at again
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.refreshReady();
    });
  }

  get(kind: Kind): Collection {
    return this.kinds.get(kind)!;
  }

  list(kind: Kind): AnyResource[] {
    return [...this.get(kind).items.values()];
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Who leads, from /readyz: read at start, whenever the stream (re)connects, and when the tab shows again. */
  async refreshReady(): Promise<void> {
    try {
      const r = await fetch(`${this.base}/readyz`);
      const j = (await r.json()) as { leader?: string | null; etcd?: string };
      this.ready = { leader: j.leader ?? null, etcd: j.etcd ?? 'unknown' };
    } catch (e) {
      this.ready = { leader: null, etcd: `unreachable: ${String(e)}` };
    }
    this.changed();
  }

  /** Watch every kind: from `revision` when there is one, else from a fresh list. */
  private open(): void {
    clearTimeout(this.timer);
    this.es?.close();
    const from = this.revision;
    const es = new EventSource(`${this.base}/api/v1/watch?kinds=${KINDS.join(',')}${from ? `&resourceVersion=${encodeURIComponent(from)}` : ''}`);
    this.es = es;
    // a connection without R starts with a list, gathered apart until LISTED
    let listing: Map<Kind, Map<string, AnyResource>> | undefined = from ? undefined : new Map(KINDS.map((k) => [k, new Map()]));
    let opened = false;
    const mine = () => this.es === es;

    es.onopen = () => {
      if (!mine()) return;
      opened = true;
      this.refused = 0;
      this.retryMs = RETRY_MIN_MS;
      if (!listing) this.setLink('live');
      void this.refreshReady();
    };
    const put = (ev: MessageEvent) => {
      if (!mine()) return;
      const o = JSON.parse(ev.data as string) as AnyResource;
      const kind = BY_KIND[o.kind];
      if (!kind) return;
      if (listing) {
        listing.get(kind)!.set(keyOf(o), o);
        return;
      }
      const c = this.get(kind);
      const k = keyOf(o);
      if (!c.items.has(k)) c.members++;
      c.items.set(k, o);
      this.applied(c, ev.lastEventId);
    };
    es.addEventListener('ADDED', put);
    es.addEventListener('MODIFIED', put);
    es.addEventListener('DELETED', (ev) => {
      if (!mine()) return;
      const o = JSON.parse((ev as MessageEvent).data as string) as AnyResource;
      const kind = BY_KIND[o.kind];
      if (!kind) return;
      if (listing) {
        listing.get(kind)!.delete(keyOf(o));
        return;
      }
      const c = this.get(kind);
      if (c.items.delete(keyOf(o))) c.members++;
      this.applied(c, (ev as MessageEvent).lastEventId);
    });
    es.addEventListener('LISTED', (ev) => {
      if (!mine() || !listing) return;
      for (const [kind, items] of listing) {
        const c = this.get(kind);
        c.items = items;
        c.version++;
        c.members++;
      }
      listing = undefined;
      this.revision = (ev as MessageEvent).lastEventId;
      this.synced = true;
      this.setLink('live');
    });
    es.addEventListener('ERROR', (ev) => {
      if (!mine()) return;
      let code = '';
      try {
        code = (JSON.parse((ev as MessageEvent).data as string) as { code?: string }).code ?? '';
      } catch {
        /* not JSON: treat as a drop */
      }
      // the replay of an old revision lost its etcd watch: start over (TooSlow just resumes)
      if (code === 'Gone') this.revision = undefined;
    });
    es.onerror = () => {
      if (!mine()) return;
      // The stream ended or never opened. EventSource would reconnect by itself, but with
      // the URL's old resourceVersion: reconnect here, from the last revision applied.
      es.close();
      if (!opened && from !== undefined && ++this.refused >= 2) {
        // refused twice from R: compacted (410), or etcd away long enough that a list is no worse
        this.revision = undefined;
        this.refused = 0;
      }
      this.setLink('retrying');
      const wait = opened ? RETRY_MIN_MS : this.retryMs;
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
      this.timer = setTimeout(() => this.open(), wait);
    };
  }

  private applied(c: Collection, id: string): void {
    c.version++;
    if (id) this.revision = id;
    this.changed();
  }

  private setLink(state: LinkState): void {
    this.link = state;
    for (const c of this.kinds.values()) c.state = state;
    this.changed();
  }

  private changed(): void {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      for (const l of this.listeners) l();
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 50);
  }
}
