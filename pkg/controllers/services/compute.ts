/**
 * The services loop's decision, pure: one Service, its tasks, the health of
 * its dependencies and the time in; what to create, kill and delete, the
 * status to write and when to look again out. Nothing here reads a clock
 * or etcd.
 *
 *   tasks ──► ended ─────────────────► record (lastFailures, backoff), delete
 *        └─► live ─┬─ condemned ──────► health policy (surge-replace, brake)
 *                  ├─ old template ───► rollout: kill unready, then ready ones
 *                  │                     while ready - 1 >= minHealthy
 *                  │                     (condemned old ones wait for the brake
 *                  │                      until a new task is ready)
 *                  └─ current ────────► create up to instances (+ surge) within
 *                                        maxTotal, after dependencies and backoff;
 *                                        kill the surplus, least useful first
 *
 *   minHealthy = ceil(minimumHealthCapacity x instances)
 *   maxTotal   = floor((1 + maximumOverCapacity) x instances); during a rollout
 *                at least minHealthy + 1, so (1, 0) can still move (Marathon)
 *
 * Ready (view.ts) is Running, and Healthy when there are health checks, and
 * status.ready when there are readiness checks; status.healthy counts
 * health alone, status.ready (with readiness checks) what the rollout counts.
 *
 * Tasks being killed (desiredState Killed, not ended) no longer count
 * toward instances or health, but still occupy capacity: maxTotal bounds
 * every task that has not ended, so a rollout never runs more containers
 * than the strategy allows, even while stopped ones drain.
 */
import type { Service, ServiceStatus, Task, TaskFailure, TaskTemplate } from '../../api/types.js';
import { DEFAULT_HEALTH_POLICY, brake, planHealth, type HealthPolicy } from '../health/compute.js';
import { addFailure, backoffFor, delayedUntil, maybeReset } from './backoff.js';
import { buildConditions, type DependencyState } from './conditions.js';
import { advanceDeployment } from './deployment.js';
import { recordRevision, templateHash, templateOf } from '../../api/template.js';
import { endOf, killOrder, oldKillOrder, viewOf, type TaskView } from './view.js';

export type { DependencyState } from './conditions.js';

export interface ServiceOptions {
  health: HealthPolicy;
  /** Tasks created per pass; more wait for the next pass (requeued at once). */
  maxCreatesPerPass: number;
  /** Ended tasks recorded and deleted per pass (they share one transaction with the status). */
  maxEndsPerPass: number;
  /** Health kills per pass (they too share the status's transaction). */
  maxHealthKillsPerPass: number;
}

export const DEFAULT_OPTIONS: ServiceOptions = {
  health: DEFAULT_HEALTH_POLICY,
  maxCreatesPerPass: 10_000,
  maxEndsPerPass: 30,
  maxHealthKillsPerPass: 16,
};

export const LAST_FAILURES = 10;

export interface ComputeInput {
  service: Service;
  /** The service's tasks (owner label and uid match), as observed. */
  tasks: readonly Task[];
  dependencies: readonly DependencyState[];
  now: number;
  options?: Partial<ServiceOptions>;
}

export type KillReason = 'ScaleDown' | 'Rollout' | 'Unhealthy';
export interface Kill {
  task: Task;
  reason: KillReason;
  message: string;
}
export interface Removal {
  task: Task;
  failure?: TaskFailure;
}
export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}
export interface Plan {
  create: { count: number; template: TaskTemplate; hash: string; revision: number };
  /** Health kills first: they go with the status in one transaction. */
  kill: Kill[];
  remove: Removal[];
  status: ServiceStatus;
  events: PlanEvent[];
  requeueAfterMs?: number;
}

const byCreated = (a: TaskView, b: TaskView) => a.createdMs - b.createdMs || (a.name < b.name ? -1 : 1);

export function bounds(s: Service['spec'], rolling: boolean): { minHealthy: number; maxTotal: number } {
  const n = s.instances;
  const us = s.upgradeStrategy ?? { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
  const minHealthy = Math.min(n, Math.ceil(us.minimumHealthCapacity * n - 1e-9));
  let maxTotal = Math.max(n, Math.floor((1 + us.maximumOverCapacity) * n + 1e-9));
  if (rolling && maxTotal <= minHealthy) maxTotal = minHealthy + 1;
  return { minHealthy, maxTotal };
}

export function computeService(input: ComputeInput): Plan {
  const o: ServiceOptions = { ...DEFAULT_OPTIONS, ...input.options };
  const { service: svc, now } = input;
  const spec = svc.spec;
  const n = spec.instances;
  const prev = svc.status;
  const iso = new Date(now).toISOString();
  const events: PlanEvent[] = [];
  const wake: number[] = [];
  const template = templateOf(spec);
  const hash = templateHash(template);
  const { revisions, current } = recordRevision(prev?.revisions ?? [], hash, template, iso);
  const rev = current.revision;

  // 1. Ended tasks: remember why, then delete them.
  const revOf = new Map(revisions.map((r) => [r.hash, r.revision]));
  // A template that came back (rollback) has a new number; tasks carry the one they were created with.
  const revisionOf = (v: TaskView) => (v.hash && revOf.get(v.hash)) || v.revision;
  // A restart (spec.restartedAt) makes the tasks created before it old, as a new template would.
  const restartAt = Date.parse(spec.restartedAt ?? '') || 0;
  const isCurrent = (v: TaskView) => v.hash === hash && v.createdMs >= restartAt;
  // One pass sorts the tasks into the groups every step below reads (a
  // 100,000-task service is reconciled a few times a second while it starts).
  const ended: TaskView[] = [];
  const live: TaskView[] = [];
  const terminating: TaskView[] = [];
  const cur: TaskView[] = [];
  const old: TaskView[] = [];
  let curReady = 0;
  let liveReadiness = false;
  const curCondemned: TaskView[] = [];
  for (const t of input.tasks) {
    const v = viewOf(t);
    if (v.readiness && !v.terminal && !v.terminating) liveReadiness = true;
    if (v.terminal) ended.push(v);
    else if (v.terminating) terminating.push(v);
    else {
      live.push(v);
      if (!isCurrent(v)) old.push(v);
      else {
        cur.push(v);
        if (v.ready) curReady++;
        if (v.condemned) curCondemned.push(v);
      }
    }
  }
  ended.sort(byCreated);
  let backoff = backoffFor(prev?.backoff, hash);
  const failures: TaskFailure[] = [...(prev?.lastFailures ?? [])];
  const remove: Removal[] = [];
  for (const v of ended.slice(0, o.maxEndsPerPass)) {
    const e = endOf(v, now, revisionOf(v));
    remove.push(e.failure ? { task: v.task, failure: e.failure } : { task: v.task });
    if (!e.failure) continue;
    failures.push(e.failure);
    if (e.backoff && v.hash === hash) backoff = addFailure(backoff, Date.parse(e.failure.at));
    events.push({ type: 'Warning', reason: v.state === 'Lost' ? 'TaskLost' : 'TaskFailed', message: `task ${v.name} ${describeEnd(e.failure)}; replacing it` });
  }
  if (ended.length > o.maxEndsPerPass) wake.push(now);

  const rolling = old.length > 0;
  const { minHealthy, maxTotal } = bounds(spec, rolling);
  const occupancy = live.length + terminating.length;
  const deps = input.dependencies;
  const depsReady = deps.every((d) => d.ready);
  // Dependencies gate a template's start, not the replacement of one that already serves.
  const depsGate = !depsReady && curReady === 0;

  // 2. Health: condemned tasks, replaced within the brake.
  const br = brake(prev?.healthKills, n, o.health, now);
  const hp = planHealth({
    current: [...curCondemned].sort(byCreated).map((v) => v.task),
    // Once the new revision has a ready task, the rollout removes condemned old
    // tasks like any unready old task; before that the brake guards them (a sick
    // dependency during an upgrade must not take everything down).
    old: curReady === 0 ? old.filter((v) => v.condemned).sort(byCreated).map((v) => v.task) : [],
    ready: curReady,
    instances: n,
    headroom: Math.max(0, maxTotal - n),
    allowance: Math.min(br.allowance, o.maxHealthKillsPerPass),
    policy: o.health,
  });
  const kill: Kill[] = [];
  const killed = new Set<Task>();
  const healthKills = [...br.recent];
  for (const t of hp.kill) {
    const v = viewOf(t);
    const msg = t.status?.message ?? 'health check failed';
    kill.push({ task: t, reason: 'Unhealthy', message: `unhealthy after ${t.status?.consecutiveFailures ?? '?'} failed checks: ${msg}` });
    killed.add(t);
    healthKills.push(iso);
    failures.push({
      task: v.name,
      ...(revisionOf(v) ? { revision: revisionOf(v) } : {}),
      state: 'Unhealthy',
      reason: 'Unhealthy',
      message: msg,
      ...(t.status?.nodeName ? { node: t.status.nodeName } : {}),
      at: iso,
    });
    if (v.hash === hash) backoff = addFailure(backoff, now);
    events.push({ type: 'Warning', reason: 'Unhealthy', message: `killing task ${v.name}: unhealthy (${msg})` });
  }
  if (hp.held > 0 && healthKills.length > 0) wake.push(Math.min(...healthKills.map((k) => Date.parse(k))) + o.health.windowMs);

  // 3. Rollout: old tasks go, unready first, ready ones only while enough stay ready.
  const notKilled = (v: TaskView) => killed.size === 0 || !killed.has(v.task);
  let readyAll = 0;
  for (const v of live) if (v.ready && notKilled(v)) readyAll++;
  if (!depsGate) {
    for (const v of old.filter((x) => !killed.has(x.task)).sort(oldKillOrder(revisionOf))) {
      if (v.condemned && curReady === 0) continue; // the health policy's, within the brake
      if (v.ready) {
        if (readyAll - 1 < minHealthy) continue;
        readyAll--;
      }
      kill.push({ task: v.task, reason: 'Rollout', message: `replaced by revision ${rev}` });
      killed.add(v.task);
    }
  }

  // 4. The current template: the surplus goes, the shortfall is created within maxTotal.
  const curLeft = killed.size === 0 ? cur : cur.filter(notKilled);
  const target = n + hp.surge;
  let want = 0;
  if (curLeft.length > target) {
    for (const v of [...curLeft].sort(killOrder).slice(0, curLeft.length - target)) {
      if (v.ready) readyAll--;
      kill.push({ task: v.task, reason: 'ScaleDown', message: `surplus: ${n} instance(s) wanted` });
      killed.add(v.task);
    }
  } else {
    want = Math.max(0, Math.min(target - curLeft.length, maxTotal - occupancy));
  }
  // (the ready tasks' times matter only while there are failures to forget)
  const reset = backoff.failures === 0 ? { backoff } : maybeReset(backoff, cur.filter((v) => v.ready && notKilled(v)).map((v) => v.readySince!), now);
  backoff = reset.backoff;
  if (reset.recheckAt !== undefined) wake.push(reset.recheckAt);
  const until = delayedUntil(spec, backoff);
  let delayed: string | undefined;
  let create = want;
  if (depsGate) create = 0;
  else if (create > 0 && now < until) {
    delayed = new Date(until).toISOString();
    create = 0;
    wake.push(until);
  }
  if (create > o.maxCreatesPerPass) {
    create = o.maxCreatesPerPass;
    wake.push(now);
  }
  if (create > 0) events.push({ type: 'Normal', reason: 'Creating', message: `creating ${create} task(s) of revision ${rev}` });
  const byReason = new Map<KillReason, number>();
  for (const k of kill) if (k.reason !== 'Unhealthy') byReason.set(k.reason, (byReason.get(k.reason) ?? 0) + 1);
  for (const [reason, count] of byReason) {
    events.push({ type: 'Normal', reason: reason === 'Rollout' ? 'RollingUpdate' : 'ScalingDown', message: `killing ${count} task(s): ${reason === 'Rollout' ? `replaced by revision ${rev}` : `${n} instance(s) wanted`}` });
  }

  // 5. The deployment and the status.
  const after = killed.size === 0 ? live : live.filter(notKilled);
  const curAfter = killed.size === 0 ? cur : cur.filter(notKilled);
  // the counts of what is left, in one pass each
  let pending = 0;
  let pendingReason: string | undefined;
  let unready = 0;
  let unreadyWhy: string | undefined;
  let curAfterReady = 0;
  for (const v of curAfter) {
    if (v.ready) curAfterReady++;
    if (v.state === 'Pending') {
      pending++;
      if (!pendingReason) pendingReason = v.task.status?.pendingReason;
    }
    if (v.healthy && !v.ready) {
      unready++;
      if (!unreadyWhy) unreadyWhy = v.task.status?.readinessMessage;
    }
  }
  let healthyAll = 0;
  let runningAll = 0;
  for (const v of after) {
    if (v.healthy) healthyAll++;
    if (v.state === 'Running') runningAll++;
  }
  failures.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const lastFailures = failures.slice(0, LAST_FAILURES);
  const lastOfRev = lastFailures.find((f) => f.revision === undefined || f.revision === rev);
  const why = depsGate
    ? `waiting for ${deps.filter((d) => !d.ready).map((d) => d.detail).join(', ')}`
    : delayed
      ? `launches delayed until ${delayed} after ${backoff.failures} failure(s)`
      : pendingReason
        ? `${pending} task(s) pending: ${pendingReason}`
        : curCondemned.length > 0
          ? `${curCondemned.length} task(s) unhealthy`
          : unready > 0
            ? `${unready} task(s) waiting for their readiness check${unreadyWhy ? `: ${unreadyWhy}` : ''}`
            : lastOfRev && backoff.failures > 0
              ? `last failure: task ${lastOfRev.task} ${describeEnd(lastOfRev)}`
              : undefined;
  const dr = advanceDeployment({
    prev: prev?.deployment,
    revision: rev,
    instances: n,
    ready: curAfterReady,
    live: curAfter.length,
    old: after.length - curAfter.length,
    deadlineSeconds: spec.progressDeadlineSeconds,
    now,
    why,
    ...(spec.restartedAt ? { restartedAt: spec.restartedAt } : {}),
  });
  if (dr.started) {
    const restart = dr.deployment.restartedAt !== undefined && dr.deployment.restartedAt !== prev?.deployment?.restartedAt;
    const message = restart ? `restarting ${n} instance(s) of revision ${rev}` : `rolling out revision ${rev} to ${n} instance(s)`;
    events.push({ type: 'Normal', reason: 'DeploymentStarted', message });
  }
  if (dr.completed) events.push({ type: 'Normal', reason: 'DeploymentComplete', message: `revision ${rev} rolled out: ${n} instance(s) ready` });
  if (dr.failed) events.push({ type: 'Warning', reason: 'DeploymentFailed', message: dr.deployment.message ?? `revision ${rev} failed` });
  if (dr.deadlineAt !== undefined) wake.push(dr.deadlineAt);
  if (hp.held > 0) events.push({ type: 'Warning', reason: 'HealthBrake', message: `${hp.held} unhealthy task(s) held back: at most ${br.limit} killed for health per ${o.health.windowMs / 1000}s` });
  if (delayed) events.push({ type: 'Warning', reason: 'LaunchDelayed', message: `launches delayed until ${delayed} after ${backoff.failures} failure(s)` });

  const readiness = (spec.readinessChecks?.length ?? 0) > 0 || liveReadiness;
  const status: ServiceStatus = {
    instances: n,
    running: runningAll,
    healthy: healthyAll,
    ...(readiness ? { ready: readyAll } : {}),
    tasks: after.length,
    updated: curAfter.length,
    terminating: terminating.length + kill.filter((k) => k.task.status?.nodeName).length,
    deployment: dr.deployment,
    conditions: buildConditions(
      {
        healthy: healthyAll,
        ...(readiness ? { ready: readyAll } : {}),
        minHealthy,
        instances: n,
        deployment: dr.deployment,
        dependencies: deps,
        ...(delayed ? { delayedUntil: delayed } : {}),
        failures: backoff.failures,
        ...(lastOfRev ? { lastFailure: `task ${lastOfRev.task} ${describeEnd(lastOfRev)}` } : {}),
        pending,
        ...(pendingReason ? { pendingReason } : {}),
        held: hp.held,
        brakeLimit: br.limit,
        brakeWindowSeconds: o.health.windowMs / 1000,
      },
      prev?.conditions,
      iso,
    ),
    ...(delayed ? { delayedUntil: delayed } : {}),
    ...(svc.metadata.generation !== undefined ? { observedGeneration: svc.metadata.generation } : {}),
    revisions,
    lastFailures,
    backoff,
    healthKills,
  };
  const soonest = wake.length ? Math.min(...wake) : undefined;
  return {
    create: { count: create, template, hash, revision: rev },
    kill,
    remove,
    status,
    events,
    ...(soonest !== undefined ? { requeueAfterMs: Math.max(0, soonest - now) } : {}),
  };
}

/** "Failed with exit code 1 (Error): boom" */
export function describeEnd(f: TaskFailure): string {
  const how = f.state === 'Unhealthy' ? 'was unhealthy' : f.state === 'Lost' ? 'was lost' : f.state === 'Succeeded' ? 'exited' : f.state === 'Killed' ? 'was killed' : 'failed';
  const code = f.exitCode !== undefined ? ` with exit code ${f.exitCode}` : '';
  const reason = f.reason ? ` (${f.reason})` : '';
  const msg = f.message ? `: ${f.message}` : '';
  return `${how}${code}${reason}${msg}`;
}
