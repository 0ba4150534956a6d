/**
 * The watched resources: one `?watch=1` Server-Sent Events stream per kind (the stream
 * `stowctl get -w` reads), each held as a map by namespace/name. EventSource resumes by
 * itself with Last-Event-ID after a dropped connection (and after the server's TooSlow);
 * a refused resume (410 after compaction, 503) or a `Gone` starts the kind over with a
 * fresh watch. Subscribers hear of changes at most once per animation frame.
 */
import type { AnyResource } from '../../pkg/api/types.js';

export const KINDS = ['nodes', 'services', 'tasks', 'jobs', 'jobruns', 'events'] as const;
export type Kind = (typeof KINDS)[number];
export type LinkState = 'connecting' | 'live' | 'retrying';

export interface Collection {
  items: Map<string, AnyResource>;
  state: LinkState;
  /** The revision of the last event applied. */
  revision?: string;
}

export interface ReadyInfo {
  leader: string | null;
  etcd: string;
}

export const keyOf = (o: AnyResource): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Store {
  readonly kinds = new Map<Kind, Collection>();
  ready: ReadyInfo | undefined;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  /** Bumped on every change: views compare it to skip work. */
  version = 0;
  private readonly sources = new Map<Kind, EventSource>();
  private writing = 0;

  constructor(private readonly base = '') {
    for (const k of KINDS) this.kinds.set(k, { items: new Map(), state: 'connecting' });
  }

  start(): void {
    for (const k of KINDS) this.watch(k);
    void this.refreshReady();
    // who leads is not on a watch stream: read it again when the tab is looked at again
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

  /** Who leads, from /readyz: read at start, whenever a stream (re)connects, and when the tab shows again. */
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

  /**
   * Run a write (an action's requests). A browser holds at most six HTTP/1.1 connections to
   * one server and the six watch streams take them all, so a request would wait for ever: the
   * events stream steps aside while writes run, then watches again from the last revision it
   * applied (`resourceVersion=R`: nothing is missed).
   */
  async write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writing++ === 0) {
      this.sources.get('events')?.close();
      this.sources.delete('events');
    }
    try {
      return await fn();
    } finally {
      if (--this.writing === 0) this.watch('events', this.get('events').revision);
    }
  }

  private watch(kind: Kind, from?: string): void {
    const c = this.get(kind);
    this.sources.get(kind)?.close();
    const es = new EventSource(`${this.base}/api/v1/${kind}?watch=1${from ? `&resourceVersion=${encodeURIComponent(from)}` : ''}`);
    this.sources.set(kind, es);
    let fresh = !from;
    es.onopen = () => {
      if (fresh) c.items.clear(); // a new watch without R starts with every object as ADDED
      fresh = false;
      c.state = 'live';
      void this.refreshReady();
      this.changed();
    };
    const put = (ev: MessageEvent) => {
      const o = JSON.parse(ev.data as string) as AnyResource;
      c.items.set(keyOf(o), o);
      if (ev.lastEventId) c.revision = ev.lastEventId;
      this.changed();
    };
    es.addEventListener('ADDED', put);
    es.addEventListener('MODIFIED', put);
    es.addEventListener('DELETED', (ev) => {
      const o = JSON.parse((ev as MessageEvent).data as string) as AnyResource;
      c.items.delete(keyOf(o));
      this.changed();
    });
    es.addEventListener('ERROR', (ev) => {
      let code = '';
      try {
        code = (JSON.parse((ev as MessageEvent).data as string) as { code?: string }).code ?? '';
      } catch {
        /* not JSON: treat as a drop */
      }
      if (code === 'Gone') this.restart(kind, es);
    });
    es.onerror = () => {
      c.state = 'retrying';
      this.changed();
      // CLOSED: the server refused the (re)connection (410 Gone, 503): watch afresh
      if (es.readyState === EventSource.CLOSED) this.restart(kind, es);
    };
  }

  private restart(kind: Kind, es: EventSource): void {
    es.close();
    if (this.sources.get(kind) !== es) return; // stepped aside for a write, or replaced already
    this.sources.delete(kind);
    this.get(kind).state = 'retrying';
    this.changed();
    setTimeout(() => {
      if (!this.sources.has(kind) && !(kind === 'events' && this.writing > 0)) this.watch(kind);
    }, 2000);
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
