/**
 * Defaults, Marathon's where Marathon has them, applied after validation.
 * Only missing fields are filled, so applying twice changes nothing: `apply`
 * compares the defaulted new object with the stored one to say "unchanged".
 *
 *   all namespaced kinds   metadata.namespace "default" (cluster-scoped kinds: namespace dropped)
 *   task templates         resources {cpus 1, mem 128, disk 0} per missing field,
 *                          killGracePeriodSeconds 10, placement binpack, priority 0,
 *                          constraint values as strings
 *   health checks          gracePeriodSeconds 300, intervalSeconds 60, timeoutSeconds 20,
 *                          maxConsecutiveFailures 3; HTTP: path "/";
 *                          HTTP/TCP without port or portIndex: portIndex 0
 *   readiness checks       path "/", intervalSeconds 30, timeoutSeconds 10,
 *                          httpStatusCodesForReady [200]
 *   Service                instances 1, upgradeStrategy {1, 1}, progressDeadlineSeconds 600,
 *                          backoffSeconds 1, backoffFactor 1.15, maxLaunchDelaySeconds 300,
 *                          drainSeconds 2
 *   Job                    retries 0, retryBackoffSeconds 1, concurrencyPolicy Allow, timeZone UTC,
 *                          dstPolicy {gap next, overlap once}, catchUp {60 s, latest},
 *                          parallelism 1, completions 1, successfulRunsHistoryLimit 3,
 *                          failedRunsHistoryLimit 1, missedRunsHistoryLimit 10;
 *                          with parents: triggerRule allSucceeded
 *   JobRun                 retries 0, parallelism 1, completions 1 (and its template)
 *   Namespace              weight 1
 */
import { lookupKind, DEFAULT_NAMESPACE } from './kinds.js';
import type { AnyResource, HealthCheck, ReadinessCheck, TaskTemplate } from './types.js';
import { normalizeConstraint } from './constraints.js';

export const RESOURCE_DEFAULTS = { cpus: 1, mem: 128, disk: 0 } as const;
export const HEALTH_CHECK_DEFAULTS = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  timeoutSeconds: 20,
  maxConsecutiveFailures: 3,
} as const;
export const READINESS_CHECK_DEFAULTS = { path: '/', intervalSeconds: 30, timeoutSeconds: 10 } as const;
export const READY_STATUS_CODES: readonly number[] = [200];
export const TEMPLATE_DEFAULTS = { killGracePeriodSeconds: 10, placement: 'binpack', priority: 0 } as const;
export const SERVICE_DEFAULTS = {
  instances: 1,
  progressDeadlineSeconds: 600,
  backoffSeconds: 1,
  backoffFactor: 1.15,
  maxLaunchDelaySeconds: 300,
  drainSeconds: 2,
} as const;
export const UPGRADE_STRATEGY_DEFAULTS = { minimumHealthCapacity: 1, maximumOverCapacity: 1 } as const;
export const JOB_DEFAULTS = {
  retries: 0,
  retryBackoffSeconds: 1,
  concurrencyPolicy: 'Allow',
  timeZone: 'UTC',
  parallelism: 1,
  completions: 1,
  successfulRunsHistoryLimit: 3,
  failedRunsHistoryLimit: 1,
  missedRunsHistoryLimit: 10,
} as const;
export const DST_POLICY_DEFAULTS = { gap: 'next', overlap: 'once' } as const;
export const CATCH_UP_DEFAULTS = { windowSeconds: 60, mode: 'latest' } as const;
export const NAMESPACE_DEFAULTS = { weight: 1 } as const;

type Obj = Record<string, any>;

/** Set each key of defs that obj lacks. */
function fill(obj: Obj, defs: Readonly<Obj>): void {
  for (const [k, v] of Object.entries(defs)) if (obj[k] === undefined) obj[k] = v;
}

function defaultHealthCheck(hc: Partial<HealthCheck>): void {
  fill(hc, HEALTH_CHECK_DEFAULTS);
  if (hc.protocol === 'HTTP' && hc.path === undefined) hc.path = '/';
  if ((hc.protocol === 'HTTP' || hc.protocol === 'TCP') && hc.port === undefined && hc.portIndex === undefined)
    hc.portIndex = 0;
}

function defaultReadinessCheck(rc: Partial<ReadinessCheck>): void {
  fill(rc, READINESS_CHECK_DEFAULTS);
  rc.httpStatusCodesForReady ??= [...READY_STATUS_CODES];
}

/** Fill a task template in place. */
export function defaultTemplate(t: Partial<TaskTemplate>): void {
  t.resources = { ...RESOURCE_DEFAULTS, ...stripUndefined(t.resources ?? {}) };
  fill(t, TEMPLATE_DEFAULTS);
  if (t.constraints) t.constraints = t.constraints.map((c) => normalizeConstraint(c));
  for (const hc of t.healthChecks ?? []) defaultHealthCheck(hc);
  for (const rc of t.readinessChecks ?? []) defaultReadinessCheck(rc);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A copy of a validated object with defaults filled in. The input is not
 * modified. Unknown kinds get only the metadata copy.
 */
export function applyDefaults<T extends AnyResource>(input: T): T {
  const obj = structuredClone(input) as T;
  obj.metadata ??= { name: '' };
  const info = lookupKind(obj.kind);
  if (info?.namespaced) obj.metadata.namespace ??= DEFAULT_NAMESPACE;
  else if (info) delete obj.metadata.namespace; // cluster-scoped: kubectl ignores it too
  switch (obj.kind) {
    case 'Service': {
      const spec = obj.spec as Obj;
      defaultTemplate(spec);
      fill(spec, SERVICE_DEFAULTS);
      spec.upgradeStrategy = { ...UPGRADE_STRATEGY_DEFAULTS, ...stripUndefined(spec.upgradeStrategy ?? {}) };
      break;
    }
    case 'Job': {
      const spec = obj.spec as Obj;
      defaultTemplate(spec);
      fill(spec, JOB_DEFAULTS);
      spec.dstPolicy = { ...DST_POLICY_DEFAULTS, ...stripUndefined(spec.dstPolicy ?? {}) };
      spec.catchUp = { ...CATCH_UP_DEFAULTS, ...stripUndefined(spec.catchUp ?? {}) };
      if (spec.parents?.length) spec.triggerRule ??= 'allSucceeded';
      break;
    }
    case 'JobRun':
      if (obj.spec.template) defaultTemplate(obj.spec.template);
      fill(obj.spec, { retries: 0, parallelism: 1, completions: 1 });
      break;
    case 'Task':
      defaultTemplate(obj.spec);
      break;
    case 'Namespace':
      obj.spec ??= {};
      fill(obj.spec, NAMESPACE_DEFAULTS);
      break;
    case 'Node':
      obj.spec ??= {};
      break;
  }
  return obj;
}
