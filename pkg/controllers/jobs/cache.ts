/**
 * What the job timers loop reads between its informers and its own writes:
 *
 *   Children   objects indexed by their parent (a job's runs, a run's tasks),
 *              with the ones this loop created or deleted laid over the
 *              informer until it shows them, status included (a quick
 *              second reconcile must not create or count the same thing
 *              again, nor take a record it made for a Pending run)
 *   Statuses   the status this loop last wrote per object, used while the
 *              informer still has an older one
 */
import type { AnyResource } from '../../api/types.js';
import type { InformerEvent } from '../../informer/informer.js';
import type { Stored } from '../../store/store.js';

/** How long our word outlives an informer that never confirms it (a lost event). */
const OVERLAY_TTL_MS = 60_000;

const keyOf = (o: AnyResource) => `${o.metadata.namespace ?? '_'}/${o.metadata.name}`;

/**
 * The informer shows what we wrote: the object and, when we wrote one, its
 * status. The two come through two watches, so the object alone is not
 * enough: a Missed record seen without its status looks like a Pending run.
 */
const caughtUp = (seen: Stored<AnyResource>, ours: Stored<AnyResource>): boolean =>
  BigInt(seen.specRev) >= BigInt(ours.specRev) && (ours.statusRev === '0' || BigInt(seen.statusRev) >= BigInt(ours.statusRev));

export class Children<T extends AnyResource> {
  private readonly byParent = new Map<string, Set<string>>();
  private readonly parentOf = new Map<string, string>();
  private readonly overlay = new Map<string, Map<string, { stored: Stored<T> | null; at: number }>>();

  constructor(
    private readonly get: (key: string) => Stored<T> | undefined,
    /** The parent key of a child, or undefined when it has none. */
    private readonly parent: (o: T) => string | undefined,
  ) {}

  /** Follow an informer event; returns the parent key it concerns. */
  onEvent(e: InformerEvent<T>): string | undefined {
    const p = this.parent(e.stored.object);
    const key = e.key;
    if (e.type === 'DELETED') {
      this.byParent.get(p ?? '')?.delete(key);
      this.parentOf.delete(key);
    } else if (p) {
      this.add(p, key);
    }
    const ov = p ? this.overlay.get(p) : undefined;
    if (ov?.has(key)) {
      const w = ov.get(key)!;
      if (e.type === 'DELETED' || (w.stored && caughtUp(e.stored, w.stored))) ov.delete(key);
    }
    return p;
  }

  rebuild(all: readonly Stored<T>[]): void {
    this.byParent.clear();
    this.parentOf.clear();
    for (const s of all) {
      const p = this.parent(s.object);
      if (p) this.add(p, keyOf(s.object));
    }
  }

  private add(parent: string, key: string): void {
    let set = this.byParent.get(parent);
    if (!set) this.byParent.set(parent, (set = new Set()));
    set.add(key);
    this.parentOf.set(key, parent);
  }

  of(parent: string, now = Date.now()): Stored<T>[] {
    const out = new Map<string, Stored<T>>();
    for (const k of this.byParent.get(parent) ?? []) {
      const s = this.get(k);
      if (s) out.set(k, s);
    }
    const ov = this.overlay.get(parent);
    for (const [k, w] of ov ?? []) {
      if (now - w.at > OVERLAY_TTL_MS) {
        ov!.delete(k);
        continue;
      }
      const seen = out.get(k);
      if (w.stored === null) out.delete(k);
      else if (!seen) out.set(k, w.stored);
      // the informer has the object but not yet its status: ours
      else if (seen.statusRev === '0' && w.stored.statusRev !== '0') out.set(k, { object: { ...seen.object, status: w.stored.object.status }, specRev: seen.specRev, statusRev: w.stored.statusRev });
    }
    return [...out.values()];
  }

  created(parent: string, stored: Stored<T>): void {
    this.set(parent, keyOf(stored.object), { stored, at: Date.now() });
  }

  deleted(parent: string, o: T): void {
    this.set(parent, keyOf(o), { stored: null, at: Date.now() });
  }

  forget(parent: string): void {
    this.overlay.delete(parent);
    this.byParent.delete(parent);
  }

  private set(parent: string, key: string, w: { stored: Stored<T> | null; at: number }): void {
    let m = this.overlay.get(parent);
    if (!m) this.overlay.set(parent, (m = new Map()));
    m.set(key, w);
  }
}

export class Statuses<T extends AnyResource> {
  private readonly written = new Map<string, { uid: string | undefined; status: T['status']; statusRev: string }>();

  /** The object with the newest status: the informer's, or the one this loop wrote. */
  latest(s: Stored<T>): Stored<T> {
    const w = this.written.get(keyOf(s.object));
    if (!w || w.uid !== s.object.metadata.uid || BigInt(w.statusRev) <= BigInt(s.statusRev)) return s;
    return { object: { ...s.object, status: w.status }, specRev: s.specRev, statusRev: w.statusRev };
  }

  wrote(o: T, status: T['status'], statusRev: string): void {
    this.written.set(keyOf(o), { uid: o.metadata.uid, status, statusRev });
  }

  /** The informer caught up (or the object is gone). */
  onEvent(e: InformerEvent<T>): void {
    const w = this.written.get(e.key);
    if (!w) return;
    if (e.type === 'DELETED' || w.uid !== e.stored.object.metadata.uid || BigInt(e.stored.statusRev) >= BigInt(w.statusRev)) this.written.delete(e.key);
  }
}

/**
 * The jobs that name each parent (`<ns>/<kind>/<name>`), kept as jobs change,
 * so a change of a parent finds its dependents without a scan of every job
 * (a scan per event is O(jobs²) when thousands of jobs change at once).
 */
export class Dependents {
  private readonly byParent = new Map<string, Set<string>>();
  private readonly parentsOf = new Map<string, readonly string[]>();

  /** A job (by key) now names these parents; none forgets it. */
  set(job: string, parents: readonly string[]): void {
    this.delete(job);
    if (parents.length === 0) return;
    this.parentsOf.set(job, parents);
    for (const p of parents) {
      let s = this.byParent.get(p);
      if (!s) this.byParent.set(p, (s = new Set()));
      s.add(job);
    }
  }

  delete(job: string): void {
    for (const p of this.parentsOf.get(job) ?? []) {
      const s = this.byParent.get(p);
      s?.delete(job);
      if (s?.size === 0) this.byParent.delete(p);
    }
    this.parentsOf.delete(job);
  }

  /** The keys of the jobs that name this parent. */
  of(parent: string): string[] {
    return [...(this.byParent.get(parent) ?? [])];
  }

  clear(): void {
    this.byParent.clear();
    this.parentsOf.clear();
  }
}
