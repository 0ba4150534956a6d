/**
 * Garbage collection, pure:
 * - a node's allocation entries whose task ended or is gone are released;
 * - a task whose owner no longer exists is stopped (or deleted when it has
 *   nothing running);
 * - events older than their time to live go, and the oldest beyond a cap
 *   (a storm of distinct events cannot fill etcd within the hour).
 */
import { TERMINAL_STATES, type Node, type Task } from '../../api/types.js';

/**
 * Entries of node.status.tasks to release: tasks that ended, and tasks the
 * cache does not hold (`missing`; the caller confirms those against etcd,
 * because a node's status can reach the cache before a new task does).
 */
export function releasable(node: Node, taskOf: (ref: string) => Task | undefined): { ended: string[]; missing: string[] } {
  const ended: string[] = [];
  const missing: string[] = [];
  for (const ref of Object.keys(node.status?.tasks ?? {})) {
    const t = taskOf(ref);
    if (!t) missing.push(ref);
    else if (TERMINAL_STATES.has(t.status?.state ?? 'Pending')) ended.push(ref);
  }
  return { ended, missing };
}

export type OrphanAction = 'none' | 'delete' | 'kill';

/**
 * What to do with a task whose owner may be gone. Only tasks a loop created
 * (they carry the owner's uid) are collected: a task a user wrote by hand
 * naming an owner that does not exist is left alone. `ownerUid(owner)` is
 * the uid of the owner object now, or undefined when there is none.
 */
export function orphanAction(t: Task, ownerUid: (owner: string) => string | undefined): OrphanAction {
  const owner = t.spec.owner;
  if (!owner || !t.spec.ownerUid) return 'none';
  if (ownerUid(owner) === t.spec.ownerUid) return 'none';
  const state = t.status?.state ?? 'Pending';
  if (TERMINAL_STATES.has(state) || !t.status?.nodeName) return 'delete';
  return t.spec.desiredState === 'Killed' ? 'none' : 'kill';
}

/**
 * The events to delete: those whose last occurrence is older than ttlMs,
 * and, past `max` events, the oldest of the rest. `at` is each one's last
 * occurrence (ms).
 */
export function eventsToExpire<E>(events: readonly E[], at: (e: E) => number, now: number, ttlMs: number, max: number): E[] {
  const out: E[] = [];
  const kept: E[] = [];
  for (const e of events) (now - at(e) > ttlMs ? out : kept).push(e);
  if (kept.length > max) {
    kept.sort((a, b) => at(a) - at(b));
    out.push(...kept.slice(0, kept.length - max));
  }
  return out;
}
