/**
 * The conditions a Service's status carries, pure. A condition keeps its
 * lastTransitionTime while its status stays the same, so an unchanged
 * situation writes nothing.
 *
 *   Available          ready (healthy, without readiness checks) >= minimumHealthCapacity x instances
 *   Progressing        the deployment: rolling, complete, or past its deadline
 *   DependenciesReady  (services with dependencies) every dependency ready: services
 *                      healthy and ready, jobs' newest runs succeeded
 *   LaunchDelayed      (while it is) crash-loop backoff holds launches back
 *   Unschedulable      (while it is) tasks wait for a node: the scheduler's reason
 *   HealthBrake        (while it is) unhealthy tasks wait for the brake
 */
import type { Condition, Deployment, Job, JobRun, Service } from '../../api/types.js';

export interface DependencyState {
  /** The graph key: service/NAME or job/NAME. */
  name: string;
  ready: boolean;
  /** "service/db: 1/3 healthy", "service/db not found". */
  detail: string;
}

/**
 * A dependency is ready when it exists and at least max(1, instances) of its
 * tasks are ready: healthy, and past their readiness check when it has one.
 */
export function dependencyState(name: string, dep: Service | undefined): DependencyState {
  const key = `service/${name}`;
  if (!dep) return { name: key, ready: false, detail: `${key} not found` };
  const want = Math.max(1, dep.spec.instances);
  const byReadiness = (dep.spec.readinessChecks?.length ?? 0) > 0;
  const n = (byReadiness ? dep.status?.ready : dep.status?.healthy) ?? 0;
  return { name: key, ready: n >= want, detail: `${key}: ${n}/${dep.spec.instances} ${byReadiness ? 'ready' : 'healthy'}` };
}

/**
 * A job a service depends on (a migration before a rollout) is ready when
 * its newest run succeeded; while that run is pending or running, or it
 * failed, the service's new template waits.
 */
export function jobDependencyState(name: string, job: Job | undefined, newest: JobRun | undefined): DependencyState {
  const key = `job/${name}`;
  if (!job) return { name: key, ready: false, detail: `${key} not found` };
  if (!newest) return { name: key, ready: false, detail: `${key} has not run yet` };
  const state = newest.status?.state ?? 'Pending';
  return { name: key, ready: state === 'Succeeded', detail: `${key}: run ${newest.metadata.name} ${state}` };
}

export interface ConditionFacts {
  healthy: number;
  /** With readiness checks: healthy tasks whose readiness check passed. */
  ready?: number;
  minHealthy: number;
  instances: number;
  deployment: Deployment;
  dependencies: readonly DependencyState[];
  delayedUntil?: string;
  failures: number;
  lastFailure?: string;
  pending: number;
  pendingReason?: string;
  held: number;
  brakeLimit: number;
  brakeWindowSeconds: number;
}

export function buildConditions(f: ConditionFacts, prev: readonly Condition[] | undefined, now: string): Condition[] {
  const out: Condition[] = [];
  const add = (type: string, status: Condition['status'], reason: string, message: string) => {
    const old = prev?.find((c) => c.type === type);
    const lastTransitionTime = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now;
    out.push({ type, status, reason, message, lastTransitionTime });
  };
  const ready = f.ready ?? f.healthy;
  const avail = ready >= f.minHealthy && (f.instances === 0 || ready > 0);
  const counts = f.ready === undefined ? `${f.healthy}/${f.instances} healthy` : `${f.ready}/${f.instances} ready (${f.healthy} healthy)`;
  add('Available', avail ? 'True' : 'False', avail ? 'MinimumHealthy' : 'BelowMinimumHealthy', `${counts}, minimum ${f.minHealthy}`);
  const d = f.deployment;
  if (d.state === 'complete') add('Progressing', 'True', 'DeploymentComplete', `revision ${d.revision} rolled out`);
  else if (d.state === 'failed') add('Progressing', 'False', 'ProgressDeadlineExceeded', d.message ?? `revision ${d.revision} made no progress`);
  else add('Progressing', 'True', 'RollingOut', `revision ${d.revision}: ${d.message ?? 'rolling out'}`);
  if (f.dependencies.length > 0) {
    const waiting = f.dependencies.filter((x) => !x.ready);
    add(
      'DependenciesReady',
      waiting.length ? 'False' : 'True',
      waiting.length ? 'WaitingForDependencies' : 'DependenciesHealthy',
      (waiting.length ? waiting : f.dependencies).map((x) => x.detail).join('; '),
    );
  }
  if (f.delayedUntil) {
    add('LaunchDelayed', 'True', 'CrashLoopBackOff', `launches delayed until ${f.delayedUntil} after ${f.failures} failure(s)${f.lastFailure ? `; last: ${f.lastFailure}` : ''}`);
  }
  if (f.pending > 0 && f.pendingReason) add('Unschedulable', 'True', 'TasksPending', `${f.pending} task(s) pending: ${f.pendingReason}`);
  if (f.held > 0) {
    add('HealthBrake', 'True', 'TooManyHealthKills', `${f.held} unhealthy task(s) wait: at most ${f.brakeLimit} killed for health per ${f.brakeWindowSeconds}s`);
  }
  return out;
}
