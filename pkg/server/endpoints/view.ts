/**
 * The endpoints of every service, kept up to date in the server's memory
 * from the shared informers (the ones the leader's loops read; a standby
 * starts them for this view). The HTTP API and the DNS server read it.
 *
 *   informers: Service ─┐ the service's key       ┌─► get(ns, name), list(ns?)
 *              Task ────┼─ its owner's key ─► dirty ─► computeEndpoints (compute.ts)
 *              Node ────┘ owners of its tasks      │    once per service per turn
 *                (Ready or address changed)        └─► subscribe: ADDED / MODIFIED / DELETED,
 *                                                      only when the endpoints changed
 *
 * Only services with ports have endpoints here (a service whose ports are
 * all removed is DELETED from the view). Changes of one turn of the event
 * loop reach listeners as one batch; get() and list() first apply what is
 * pending, so a reader never sees older endpoints than a listener did.
 */
import type { Endpoints, Node, Service, Task } from '../../api/types.js';
import { OWNER_LABEL } from '../../api/labels.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer, InformerEvent } from '../../informer/informer.js';
import { errMsg, type Logger } from '../../log/logger.js';
import { computeEndpoints } from './compute.js';

export type EndpointsEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface EndpointsEvent {
  type: EndpointsEventType;
  /** After the change; as it last was, for DELETED. */
  endpoints: Endpoints;
}
export type EndpointsListener = (events: readonly EndpointsEvent[]) => void;

/** What the server's readers (HTTP, DNS) need of the view. */
export interface EndpointsView {
  /** A service's endpoints (ports: [] for a service without ports); undefined when there is no such service. */
  get(namespace: string, name: string): Endpoints | undefined;
  /** The endpoints of every service with ports (of one namespace), sorted by namespace and name. */
  list(namespace?: string): Endpoints[];
  /** Changes from now on, in batches; returns the unsubscribe. */
  subscribe(listener: EndpointsListener): () => void;
}

const keyOf = (ns: string | undefined, name: string) => `${ns ?? 'default'}/${name}`;
const ownerKey = (t: Task): string | undefined => {
  const owner = t.metadata.labels?.[OWNER_LABEL];
  return owner?.startsWith('service/') ? keyOf(t.metadata.namespace, owner.slice('service/'.length)) : undefined;
};

export class InformerEndpointsView implements EndpointsView {
  /** Services with ports: their endpoints and its JSON (to tell a change). */
  private readonly current = new Map<string, { e: Endpoints; json: string }>();
  /** Service key -> keys of its tasks. */
  private readonly tasksOf = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly listeners = new Set<EndpointsListener>();
  private readonly off: (() => void)[] = [];

  private constructor(
    private readonly services: Informer<Service>,
    private readonly tasks: Informer<Task>,
    private readonly nodes: Informer<Node>,
    private readonly log: Logger,
  ) {}

  /** The view over the process's informers, once they are synced. */
  static async start(informers: InformerFactory, log: Logger): Promise<InformerEndpointsView> {
    const [s, t, n] = await Promise.all([informers.get<Service>('Service'), informers.get<Task>('Task'), informers.get<Node>('Node')]);
    const v = new InformerEndpointsView(s, t, n, log);
    v.off.push(
      s.onChange((e) => v.mark(e.key)),
      t.onChange((e) => v.onTask(e)),
      n.onChange((e) => v.onNode(e)),
    );
    for (const x of t.list()) v.index(x.object, true);
    for (const x of s.list()) v.dirty.add(keyOf(x.object.metadata.namespace, x.object.metadata.name));
    v.flush();
    return v;
  }

  stop(): void {
    for (const f of this.off.splice(0)) f();
    this.listeners.clear();
  }

  get(namespace: string, name: string): Endpoints | undefined {
    this.flush();
    const key = keyOf(namespace, name);
    const c = this.current.get(key);
    if (c) return c.e;
    const svc = this.services.get(key)?.object;
    return svc ? computeEndpoints(svc, [], () => undefined) : undefined;
  }

  list(namespace?: string): Endpoints[] {
    this.flush();
    const out: Endpoints[] = [];
    for (const { e } of this.current.values()) if (namespace === undefined || e.metadata.namespace === namespace) out.push(e);
    return out.sort((a, b) => (keyOf(a.metadata.namespace, a.metadata.name) < keyOf(b.metadata.namespace, b.metadata.name) ? -1 : 1));
  }

  subscribe(listener: EndpointsListener): () => void {
    this.flush();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onTask(e: InformerEvent<Task>): void {
    if (e.old) this.index(e.old.object, false);
    this.index(e.stored.object, e.type !== 'DELETED');
  }

  /** Add or drop a task in its service's set, and mark the service. */
  private index(t: Task, present: boolean): void {
    const svc = ownerKey(t);
    if (!svc) return;
    const tk = keyOf(t.metadata.namespace, t.metadata.name);
    let set = this.tasksOf.get(svc);
    if (present) {
      if (!set) this.tasksOf.set(svc, (set = new Set()));
      set.add(tk);
    } else if (set) {
      set.delete(tk);
      if (set.size === 0) this.tasksOf.delete(svc);
    }
    this.mark(svc);
  }

  /** A node that turned Ready or NotReady, or moved: every service with a task on it. */
  private onNode(e: InformerEvent<Node>): void {
    const before = e.old?.object;
    const now = e.stored.object;
    if (e.type === 'MODIFIED' && before?.status?.state === now.status?.state && before?.spec.address === now.spec.address) return;
    const name = now.metadata.name;
    for (const t of this.tasks.list()) {
      if (t.object.status?.nodeName !== name) continue;
      const svc = ownerKey(t.object);
      if (svc) this.mark(svc);
    }
  }

  private mark(key: string): void {
    this.dirty.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Recompute the marked services; hand the changes to the listeners. */
  private flush(): void {
    this.scheduled = false;
    if (this.dirty.size === 0) return;
    const keys = [...this.dirty];
    this.dirty.clear();
    const events: EndpointsEvent[] = [];
    const nodeOf = (name: string) => this.nodes.get(`_/${name}`)?.object;
    for (const key of keys) {
      const svc = this.services.get(key)?.object;
      const prev = this.current.get(key);
      if (!svc || !svc.spec.ports?.length) {
        if (prev) {
          this.current.delete(key);
          events.push({ type: 'DELETED', endpoints: prev.e });
        }
        continue;
      }
      const tasks: Task[] = [];
      for (const tk of this.tasksOf.get(key) ?? []) {
        const t = this.tasks.get(tk)?.object;
        if (t) tasks.push(t);
      }
      const e = computeEndpoints(svc, tasks, nodeOf);
      const json = JSON.stringify(e);
      if (prev?.json === json) continue;
      this.current.set(key, { e, json });
      events.push({ type: prev ? 'MODIFIED' : 'ADDED', endpoints: e });
    }
    if (events.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(events);
      } catch (err) {
        this.log.error('endpoints listener threw', { error: errMsg(err) });
      }
    }
  }
}
