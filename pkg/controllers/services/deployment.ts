/**
 * A deployment's state, pure: one per (revision, instances, restart) the
 * service asks for. A new template, a scale or a restart starts a new one.
 *
 *   progressing ──all instances of the revision ready, no old tasks──► complete
 *        │
 *        └──no progress for progressDeadlineSeconds──► failed
 *             (progress = more ready tasks of the new revision than ever
 *              before, or fewer old tasks than ever before; a crash loop or a
 *              health check that never passes makes none)
 *
 * A failed deployment is a verdict, not a stop: the rollout keeps its bounds
 * (old tasks are only killed while enough tasks are ready), and should the
 * new revision become ready after all, the deployment turns complete.
 */
import type { Deployment } from '../../api/types.js';

export interface DeploymentInput {
  prev: Deployment | undefined;
  revision: number;
  instances: number;
  /** Ready, live tasks of the current revision. */
  ready: number;
  /** Live tasks of the current revision. */
  live: number;
  /** Live tasks of older revisions (after this round's kills). */
  old: number;
  deadlineSeconds: number;
  now: number;
  /** Why it is not done yet, for the message ("1 task pending: 0/3 nodes fit ..."). */
  why?: string;
  /** The service's spec.restartedAt: a restart is a deployment of its own. */
  restartedAt?: string;
}

export interface DeploymentResult {
  deployment: Deployment;
  started: boolean;
  /** It turned complete or failed in this round. */
  completed: boolean;
  failed: boolean;
  /** When the deadline would pass (ms), while progressing. */
  deadlineAt?: number;
}

export function advanceDeployment(d: DeploymentInput): DeploymentResult {
  const iso = new Date(d.now).toISOString();
  const same = d.prev && d.prev.revision === d.revision && d.prev.instances === d.instances && d.prev.restartedAt === d.restartedAt;
  const prev: Deployment = same
    ? { ...d.prev! }
    : {
        state: 'progressing',
        revision: d.revision,
        instances: d.instances,
        startedAt: iso,
        progressAt: iso,
        maxReady: d.ready,
        minOld: d.old,
        ...(d.restartedAt ? { restartedAt: d.restartedAt } : {}),
      };
  const started = !same;
  const done = d.old === 0 && d.live === d.instances && d.ready === d.instances;
  if (done) {
    const completed = prev.state !== 'complete';
    const deployment: Deployment = {
      ...prev,
      state: 'complete',
      message: `${d.ready}/${d.instances} tasks of revision ${d.revision} ready`,
      maxReady: Math.max(prev.maxReady ?? 0, d.ready),
      minOld: 0,
      ...(completed ? { finishedAt: iso } : {}),
    };
    return { deployment, started, completed, failed: false };
  }
  if (prev.state === 'complete') {
    // Done once; tasks failing later are instance replacement, not a new deployment.
    return { deployment: prev, started, completed: false, failed: false };
  }
  let progressAt = Date.parse(prev.progressAt ?? prev.startedAt ?? iso);
  const maxReady = prev.maxReady ?? 0;
  const minOld = prev.minOld ?? d.old;
  if (d.ready > maxReady || d.old < minOld) progressAt = d.now;
  const deadlineAt = progressAt + d.deadlineSeconds * 1000;
  const base: Deployment = {
    ...prev,
    progressAt: new Date(progressAt).toISOString(),
    maxReady: Math.max(maxReady, d.ready),
    minOld: Math.min(minOld, d.old),
  };
  const counts = `${d.ready}/${d.instances} tasks of revision ${d.revision} ready${d.old ? `, ${d.old} old left` : ''}`;
  if (d.now >= deadlineAt) {
    const failed = prev.state !== 'failed';
    const message = `no progress for ${d.deadlineSeconds}s (progressDeadlineSeconds): ${counts}${d.why ? `; ${d.why}` : ''}`;
    const deployment: Deployment = { ...base, state: 'failed', message: failed ? message : (prev.message ?? message) };
    if (failed) deployment.finishedAt = new Date(d.now).toISOString();
    return { deployment, started, completed: false, failed };
  }
  const deployment: Deployment = { ...base, state: 'progressing', message: `${counts}${d.why ? `; ${d.why}` : ''}` };
  delete deployment.finishedAt;
  return { deployment, started, completed: false, failed: false, deadlineAt };
}
