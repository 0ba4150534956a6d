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
 *                      exactly the changes after it. A refused resume (410: compacted) or a
 *                      `Gone` starts over without R, the old state shown until the new list
 *                      is whole; a drop before LISTED lists again; 503 tries R again later.
 *
 * The stream is read with fetch() and eventsource-parser, not EventSource: Chromium's
 * EventSource takes seconds over the 10,000 events of a big cluster's list that this reads
 * in a few hundred milliseconds (npm run bench:ui), and fetch tells a 410 from a 503.
 * `performance.mark`s `stowage:watch-open` and `stowage:listed` time the first load.
 *
 * Subscribers hear of changes at most once per animation frame. Each kind has a `version`
 * (any change) and a `members` count (objects added or removed): derived data (selectors.ts)
 * is recomputed only when the versions it reads have moved.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { AnyResource } from '../../pkg/api/types.js';
import { apiFetch } from './auth.js';

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

/** What one connection is in the middle of: its list, until LISTED. */
interface Conn {
  listing: Map<Kind, Map<string, AnyResource>> | undefined;
}

const mark = (name: string) => {
  if (typeof performance !== 'undefined' && performance.getEntriesByName(name).length === 0) performance.mark(name);
};

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
  private conn: AbortController | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;

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
    this.conn?.abort();
    const ac = new AbortController();
    this.conn = ac;
    void this.read(ac, this.revision);
  }

  private async read(ac: AbortController, from: string | undefined): Promise<void> {
    const mine = () => this.conn === ac;
    // a connection without R starts with a list, gathered apart until LISTED
    const st: Conn = { listing: from ? undefined : new Map(KINDS.map((k) => [k, new Map()])) };
    let opened = false;
    let refused = 0;
    try {
      const url = `${this.base}/api/v1/watch?kinds=${KINDS.join(',')}${from ? `&resourceVersion=${encodeURIComponent(from)}` : ''}`;
      const res = await apiFetch(url, { signal: ac.signal, headers: { accept: 'text/event-stream' }, cache: 'no-store' });
      if (!res.ok || !res.body) {
        refused = res.status;
        await res.body?.cancel();
      } else if (mine()) {
        opened = true;
        this.retryMs = RETRY_MIN_MS;
        mark('stowage:watch-open');
        if (!st.listing) this.setLink('live');
        void this.refreshReady();
        const parser = createParser({ onEvent: (m) => mine() && this.event(st, m) });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || !mine()) break;
          parser.feed(value);
        }
        await reader.cancel().catch(() => undefined);
      }
    } catch {
      /* the connection failed or was dropped (or aborted: then it is not ours any more) */
    }
    if (!mine()) return;
    // no token, or a bad one: the app asks for one and signing in reloads the page
    if (refused === 401) {
      this.setLink('retrying');
      return;
    }
    // The stream ended or never opened: open it again. 410: R is compacted; 400: R is
    // newer than etcd (an etcd restored from a backup): either way, list afresh.
    if (refused === 410 || refused === 400) this.revision = undefined;
    this.setLink('retrying');
    // a stream that ran comes back at once; one that does not open waits longer each time
    let wait = RETRY_MIN_MS;
    if (!opened) {
      wait = this.retryMs;
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    }
    this.timer = setTimeout(() => this.open(), wait);
  }

  /** One event of the stream. */
  private event(st: Conn, m: EventSourceMessage): void {
    switch (m.event) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const o = JSON.parse(m.data) as AnyResource;
        const kind = BY_KIND[o.kind];
        if (!kind) return;
        const k = keyOf(o);
        if (st.listing) {
          if (m.event === 'DELETED') st.listing.get(kind)!.delete(k);
          else st.listing.get(kind)!.set(k, o);
          return;
        }
        const c = this.get(kind);
        if (m.event === 'DELETED') {
          if (c.items.delete(k)) c.members++;
        } else {
          if (!c.items.has(k)) c.members++;
          c.items.set(k, o);
        }
        this.applied(c, m.id ?? '');
        return;
      }
      case 'LISTED': {
        if (!st.listing) return;
        for (const [kind, items] of st.listing) {
          const c = this.get(kind);
          c.items = items;
          c.version++;
          c.members++;
        }
        st.listing = undefined;
        this.revision = m.id;
        this.synced = true;
        mark('stowage:listed');
        this.setLink('live');
        return;
      }
      case 'ERROR': {
        let code = '';
        try {
          code = (JSON.parse(m.data) as { code?: string }).code ?? '';
        } catch {
          /* not JSON: the stream ends anyway */
        }
        // the replay of an old revision lost its etcd watch: start over (TooSlow just resumes)
        if (code === 'Gone') this.revision = undefined;
        return;
      }
    }
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
