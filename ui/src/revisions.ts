/**
 * A service's live tasks by revision, for the rollout bars (pure):
 *
 *   task.spec.templateHash ──► status.revisions[].hash ──► revision N
 *   current = the deployment's revision, created after spec.restartedAt;
 *             its target is the deployment's instances
 *   older   = every other revision (and, during a restart, the current
 *             template's tasks created before it); their target is 0
 *
 * Counted as the services loop counts them (pkg/controllers/services/view.ts):
 * running = Running; healthy = running and Healthy, or no health checks;
 * ready = healthy and past its readiness check, when it has one. A task
 * being killed (desiredState Killed) counts only as stopping.
 */
import { HASH_LABEL, REVISION_LABEL } from '../../pkg/api/labels.js';
import type { Service, Task } from '../../pkg/api/types.js';

export interface RevisionBar {
  /** 0 when the task names no revision the service knows. */
  revision: number;
  /** The revision the deployment rolls out (and not the tasks a restart replaces). */
  current: boolean;
  /** Tasks of the current template created before the restart the deployment rolls out. */
  beforeRestart: boolean;
  target: number;
  /** Live tasks, stopping ones included. */
  tasks: number;
  running: number;
  healthy: number;
  ready: number;
  stopping: number;
}

const ENDED = new Set(['Succeeded', 'Failed', 'Killed', 'Lost']);

export function revisionBars(s: Service, tasks: readonly Task[]): RevisionBar[] {
  const st = s.status;
  const revs = st?.revisions ?? [];
  const revOf = new Map(revs.map((r) => [r.hash, r.revision]));
  const currentRev = st?.deployment?.revision ?? revs.at(-1)?.revision ?? 0;
  const currentHash = revs.find((r) => r.revision === currentRev)?.hash;
  const restartAt = Date.parse(s.spec.restartedAt ?? '') || 0;
  const bars = new Map<string, RevisionBar>();
  const bar = (revision: number, current: boolean, beforeRestart: boolean): RevisionBar => {
    const key = `${revision}/${current}/${beforeRestart}`;
    let b = bars.get(key);
    if (!b) bars.set(key, (b = { revision, current, beforeRestart, target: current ? (st?.deployment?.instances ?? s.spec.instances ?? 0) : 0, tasks: 0, running: 0, healthy: 0, ready: 0, stopping: 0 }));
    return b;
  };
  bar(currentRev, true, false); // shown even before its first task
  for (const t of tasks) {
    const state = t.status?.state ?? 'Pending';
    if (ENDED.has(state)) continue;
    const hash = t.spec.templateHash ?? t.metadata.labels?.[HASH_LABEL];
    const revision = (hash !== undefined ? revOf.get(hash) : undefined) ?? (Number(t.metadata.labels?.[REVISION_LABEL] ?? 0) || 0);
    const sameTemplate = hash !== undefined && hash === currentHash;
    const created = Date.parse(t.metadata.creationTimestamp ?? '') || 0;
    const beforeRestart = sameTemplate && created < restartAt;
    const b = bar(revision, sameTemplate && !beforeRestart, beforeRestart);
    b.tasks++;
    if (t.spec.desiredState === 'Killed') {
      b.stopping++;
      continue;
    }
    if (state !== 'Running') continue;
    b.running++;
    const healthy = !(t.spec.healthChecks?.length ?? 0) || t.status?.health === 'Healthy';
    if (!healthy) continue;
    b.healthy++;
    if (!(t.spec.readinessChecks?.length ?? 0) || t.status?.ready === true) b.ready++;
  }
  // the new revision first, then the older ones, newest first
  return [...bars.values()].sort((a, b) => Number(b.current) - Number(a.current) || b.revision - a.revision || Number(a.beforeRestart) - Number(b.beforeRestart));
}
