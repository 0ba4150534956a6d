/**
 * The services runner's view of tasks: an index from owner to tasks, built
 * from the shared task informer, plus what this loop wrote that the
 * informer has not delivered yet.
 *
 *   informer event ──► index (owner label "service/<name>" ──► task keys)
 *                 └──► drop overlay entries the cache has caught up with
 *   our commit    ──► overlay: created/killed tasks (at the txn revision), deleted ones (null)
 *   tasksOf(svc)  ──► cache + overlay, newest spec wins
 *
 * Without the overlay, a reconcile that runs before the watch delivers its
 * own creates would create the same instances again (Kubernetes'
 * ReplicaSet "expectations" solve the same problem by counting).
 */
import type { Task } from '../../api/types.js';
import type { Informer, InformerEvent } from '../../informer/informer.js';
import type { Stored } from '../../store/store.js';
import { OWNER_LABEL } from '../../api/labels.js';

/** An entry the cache may not hold yet; null = deleted by us. */
interface Written {
  stored: Stored<Task> | null;
  rev: bigint;
  at: number;
}

/**
 * Entries older than this are dropped even if the cache never confirmed
 * them (a lost watch), but only once the cache has reached a revision past
 * them: a cache that is merely behind (a leader busy with 100,000 tasks can
 * be seconds behind its own writes) must not make the loop create a
 * service's instances twice.
 */
const OVERLAY_TTL_MS = 30_000;

/** "ns/name" of the service that owns t, if a service does. */
export function serviceKeyOf(t: Task): string | undefined {
  const owner = t.metadata.labels?.[OWNER_LABEL] ?? t.spec.owner;
  if (!owner?.startsWith('service/')) return undefined;
  return `${t.metadata.namespace ?? 'default'}/${owner.slice('service/'.length)}`;
}

const taskKey = (t: Task): string => `${t.metadata.namespace ?? 'default'}/${t.metadata.name}`;

export class OwnedTasks {
  /** Owner -> task key -> the task as the informer last delivered it (a pass reads them without a lookup each). */
  private readonly byOwner = new Map<string, Map<string, Stored<Task>>>();
  private readonly overlay = new Map<string, Map<string, Written>>();

  constructor(private readonly tasks: Informer<Task>) {}

  /** Index everything the informer holds (on start). */
  rebuild(): void {
    this.byOwner.clear();
    this.overlay.clear();
    for (const s of this.tasks.list()) this.index(s);
  }

  /** Keep the index and overlay current; returns the owning service's key. */
  onEvent(e: InformerEvent<Task>): string | undefined {
    const t = e.stored.object;
    const key = e.key;
    const svc = serviceKeyOf(t);
    const before = e.old ? serviceKeyOf(e.old.object) : undefined;
    if (before && before !== svc) this.byOwner.get(before)?.delete(key);
    if (e.type === 'DELETED') {
      if (svc) this.byOwner.get(svc)?.delete(key);
    } else this.index(e.stored);
    const w = svc ? this.overlay.get(svc)?.get(key) : undefined;
    // Once deleted, the cache no longer needs our word; otherwise only once it caught up.
    if (w && (e.type === 'DELETED' || BigInt(e.stored.specRev) >= w.rev)) {
      this.overlay.get(svc!)!.delete(key);
    }
    return svc;
  }

  private index(s: Stored<Task>): void {
    const svc = serviceKeyOf(s.object);
    if (!svc) return;
    let m = this.byOwner.get(svc);
    if (!m) this.byOwner.set(svc, (m = new Map()));
    m.set(taskKey(s.object), s);
  }

  /** The tasks of a service as this loop should see them (of owner uid `uid`, when given). */
  tasksOf(svc: string, uid?: string, now = Date.now()): Stored<Task>[] {
    const ov = this.overlay.get(svc);
    if (ov) {
      const seen = BigInt(this.tasks.revision);
      for (const [k, w] of ov) if (now - w.at > OVERLAY_TTL_MS && seen >= w.rev) ov.delete(k);
    }
    const out: Stored<Task>[] = [];
    const keys = this.byOwner.get(svc);
    const mine = (s: Stored<Task> | undefined): s is Stored<Task> => s !== undefined && (uid === undefined || s.object.spec.ownerUid === uid);
    for (const [k, c] of keys ?? []) {
      const w = ov?.get(k);
      const s = w ? merged(c, w) : c;
      if (mine(s)) out.push(s);
    }
    // what we wrote that the cache has not shown at all yet
    if (ov) {
      for (const [k, w] of ov) {
        if (keys?.has(k)) continue;
        const s = merged(this.tasks.get(k), w);
        if (mine(s)) out.push(s);
      }
    }
    return out;
  }

  /** How many tasks the index holds for a service. */
  count(svc: string): number {
    return this.byOwner.get(svc)?.size ?? 0;
  }

  /** Whether a task name is taken in a namespace (by the cache or by our unconfirmed creates). */
  taken(svc: string, namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    return this.tasks.get(key) !== undefined || this.overlay.get(svc)?.has(key) === true;
  }

  wrote(svc: string, stored: Stored<Task>): void {
    this.set(svc, taskKey(stored.object), { stored, rev: BigInt(stored.specRev), at: Date.now() });
  }

  deleted(svc: string, t: Task, revision: string): void {
    this.set(svc, taskKey(t), { stored: null, rev: BigInt(revision), at: Date.now() });
  }

  forget(svc: string): void {
    this.overlay.delete(svc);
  }

  private set(svc: string, key: string, w: Written): void {
    let m = this.overlay.get(svc);
    if (!m) this.overlay.set(svc, (m = new Map()));
    m.set(key, w);
  }
}

/** The cache's version of a task and ours: the newer spec wins (undefined: deleted). */
function merged(c: Stored<Task> | undefined, w: Written): Stored<Task> | undefined {
  if (w.stored === null) return !c || BigInt(c.specRev) <= w.rev ? undefined : c;
  if (c && BigInt(c.specRev) >= w.rev) return c;
  // Our spec is newer; the agent may have written a newer status meanwhile.
  const newerStatus = c && BigInt(c.statusRev) > BigInt(w.stored.statusRev);
  return newerStatus ? { object: { ...w.stored.object, status: c.object.status }, specRev: w.stored.specRev, statusRev: c.statusRev } : w.stored;
}
