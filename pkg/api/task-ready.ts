/**
 * What "healthy" and "ready" mean for a task, in one place: the services
 * loop counts ready tasks (rollouts, minimumHealthCapacity, deployments) and
 * the endpoints list exactly the ready ones, so a rollout that keeps enough
 * ready tasks always keeps enough tasks taking traffic.
 *
 *   healthy = Running and (Healthy, or no health checks)
 *   ready   = healthy and (status.ready, or no readiness checks)
 *
 * A task with health checks whose first check has not passed yet (health
 * Unknown) is neither: Marathon-lb and Consul send it no traffic either.
 */
import type { Task } from './types.js';

export const hasHealthChecks = (t: Task): boolean => (t.spec.healthChecks?.length ?? 0) > 0;
export const hasReadinessChecks = (t: Task): boolean => (t.spec.readinessChecks?.length ?? 0) > 0;

export function isHealthy(t: Task): boolean {
  return t.status?.state === 'Running' && (!hasHealthChecks(t) || t.status.health === 'Healthy');
}

export function isReady(t: Task): boolean {
  return isHealthy(t) && (!hasReadinessChecks(t) || t.status?.ready === true);
}
