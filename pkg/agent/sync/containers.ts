/**
 * What one node's sync knows of the engine's containers, by id and by task
 * uid. Fed from two sides that race:
 *
 *   runtime events (start/die/oom/destroy) ──► observe(e) ─┐
 *   the sync's own inspects, starts, kills ──► put(c) ─────┼─► containers, byUid
 *   re-list: runtime.list() ──────────────────► relist() ──┘
 *
 * Every change is stamped with a sequence number. A re-list takes its stamp
 * before it asks the engine, so what changed while the list was on its way
 * (newer news) is neither overwritten nor dropped by the older list.
 *
 * An OOM, once seen, stays: Docker may handle a container's OOM after its
 * exit, and then only the 'oom' event says so (its inspect keeps
 * OOMKilled false), so no later inspect or list may clear it.
 */
import type { ContainerInfo, RuntimeEvent } from '../runtime/runtime.js';

export interface Observed extends ContainerInfo {
  /** Bumped on every change; a re-list that began earlier does not overwrite it. */
  seq: number;
}

export class ObservedContainers {
  private readonly containers = new Map<string, Observed>();
  private readonly byUid = new Map<string, Set<string>>();
  private seq = 0;

  get(id: string): Observed | undefined {
    return this.containers.get(id);
  }

  /** The containers of a task uid. */
  of(uid: string): Observed[] {
    const ids = this.byUid.get(uid);
    return ids ? [...ids].map((id) => this.containers.get(id)!) : [];
  }

  /** How many containers a task uid has. */
  count(uid: string): number {
    return this.byUid.get(uid)?.size ?? 0;
  }

  /** The task uids that have containers. */
  uids(): IterableIterator<string> {
    return this.byUid.keys();
  }

  /** The container holding a task's output: `preferred` if it is one of the uid's, else the newest started. */
  outputOf(uid: string, preferred?: string): string | undefined {
    const cs = this.of(uid);
    if (preferred && cs.some((c) => c.id === preferred)) return preferred;
    return cs.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0]?.id;
  }

  /** c merged over what is known of it, as the newest news. */
  put(c: ContainerInfo): Observed {
    return this.set({ ...merge(this.containers.get(c.id), c), seq: ++this.seq });
  }

  delete(id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    this.containers.delete(id);
    const ids = this.byUid.get(c.taskUid);
    ids?.delete(id);
    if (ids && ids.size === 0) this.byUid.delete(c.taskUid);
  }

  /** An engine event; an event about a container not seen yet creates it. */
  observe(e: RuntimeEvent): void {
    const base: ContainerInfo = this.containers.get(e.id) ?? { id: e.id, taskUid: e.taskUid, taskRef: '', phase: 'created' };
    switch (e.type) {
      case 'start':
        this.put({ ...base, phase: 'running', startedAt: e.time });
        break;
      case 'die':
        this.put({ ...base, phase: 'exited', finishedAt: e.time, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}) });
        break;
      case 'oom':
        this.put({ ...base, oomKilled: true });
        break;
      case 'destroy':
        this.delete(e.id);
        ++this.seq;
        break;
    }
  }

  /**
   * Take the engine's list as the truth about every container that did not
   * change since the list began: listed ones are merged in, unlisted ones
   * forgotten. Returns how many the engine listed.
   */
  async relist(list: () => Promise<ContainerInfo[]>): Promise<number> {
    const seq0 = ++this.seq;
    const listed = await list();
    const seen = new Set<string>();
    for (const c of listed) {
      seen.add(c.id);
      const cur = this.containers.get(c.id);
      if (!cur || cur.seq < seq0) this.set({ ...merge(cur, c), seq: seq0 });
    }
    for (const [id, c] of this.containers) if (!seen.has(id) && c.seq < seq0) this.delete(id);
    return listed.length;
  }

  private set(c: Observed): Observed {
    this.containers.set(c.id, c);
    let ids = this.byUid.get(c.taskUid);
    if (!ids) this.byUid.set(c.taskUid, (ids = new Set()));
    ids.add(c.id);
    return c;
  }
}

/** c over what was known of it; an OOM seen stays seen. */
function merge(prev: ContainerInfo | undefined, c: ContainerInfo): ContainerInfo {
  const next = { ...prev, ...c };
  if (prev?.oomKilled) next.oomKilled = true;
  return next;
}
