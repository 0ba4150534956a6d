/**
 * The health policy, pure: which tasks the agents' health reports condemn,
 * how they are replaced, and the brake that keeps a sick dependency from
 * making the loop kill everything.
 *
 *   agent: health Unhealthy, consecutiveFailures >= maxConsecutiveFailures
 *                      │
 *          condemned ──┼── surge-replace (default, when there is headroom):
 *                      │     start a replacement ──ready──► kill the condemned task
 *                      └── kill-first (no headroom, or surge off):
 *                            kill ──► the services loop starts a replacement
 *
 *   brake: at most max(1, floor(share x instances)) health kills per window,
 *          per service; condemned tasks past that wait (condition HealthBrake)
 *
 * The services loop calls planHealth for each service it reconciles: only
 * the owner of a service's tasks can start a replacement, so the health
 * decisions ride along with its accounting instead of a second writer
 * racing it over the same tasks.
 */
import type { Task } from '../../api/types.js';

export interface HealthPolicy {
  /** Share of a service's instances that may be killed for health per window (at least one). */
  share: number;
  windowMs: number;
  /** Start the replacement and wait for it to be ready before killing (when capacity allows). */
  surge: boolean;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { share: 0.25, windowMs: 60_000, surge: true };

/**
 * A task its health checks condemn: Running, reported Unhealthy, with as many
 * consecutive failures as a check with a non-zero maxConsecutiveFailures
 * allows (0 means "never kill", as in Marathon).
 */
export function condemned(t: Task): boolean {
  const st = t.status;
  if (st?.state !== 'Running' || st.health !== 'Unhealthy') return false;
  const limits = (t.spec.healthChecks ?? []).map((c) => c.maxConsecutiveFailures).filter((m) => m > 0);
  if (limits.length === 0) return false;
  return (st.consecutiveFailures ?? Math.min(...limits)) >= Math.min(...limits);
}

export interface Brake {
  /** Health kills the window still allows. */
  allowance: number;
  limit: number;
  /** Kills inside the window (ISO times), oldest first. */
  recent: string[];
  /** When the oldest recent kill leaves the window (ms), if any. */
  frees?: number;
}

export function brake(kills: readonly string[] | undefined, instances: number, policy: HealthPolicy, now: number): Brake {
  const recent = (kills ?? []).filter((k) => now - Date.parse(k) < policy.windowMs).sort();
  const limit = Math.max(1, Math.floor(policy.share * instances));
  const first = recent[0];
  return {
    allowance: Math.max(0, limit - recent.length),
    limit,
    recent,
    ...(first !== undefined ? { frees: Date.parse(first) + policy.windowMs } : {}),
  };
}

export interface HealthInput {
  /** Condemned live tasks of the current template, most urgent first. */
  current: Task[];
  /** Condemned live tasks of older templates (a rollout replaces them anyway). */
  old: Task[];
  /** Ready live tasks of the current template. */
  ready: number;
  instances: number;
  /** Tasks that may run beyond instances (maximumOverCapacity), 0 = none. */
  headroom: number;
  allowance: number;
  policy: HealthPolicy;
}

export interface HealthPlan {
  kill: Task[];
  /** Extra current-template tasks to keep while condemned ones wait for their replacement. */
  surge: number;
  /** Condemned tasks the brake holds back now. */
  held: number;
}

export function planHealth(h: HealthInput): HealthPlan {
  let allowance = h.allowance;
  const surgeMode = h.policy.surge && h.headroom > 0;
  // Surge: a condemned task goes once a ready replacement stands in for it,
  // i.e. ready tasks exceed what the healthy rest should number (no ready
  // task at all replaces nothing, even when replacements fell sick too).
  const replaced = surgeMode ? Math.max(0, h.ready - Math.max(0, h.instances - h.current.length)) : h.current.length;
  const killCur = h.current.slice(0, Math.min(replaced, allowance));
  allowance -= killCur.length;
  const killOld = h.old.slice(0, allowance);
  allowance -= killOld.length;
  const waiting = h.current.length - killCur.length;
  const surge = surgeMode ? Math.min(waiting, allowance, h.headroom) : 0;
  // Waiting for a replacement is not being held by the brake; waiting for allowance is.
  const held = h.old.length - killOld.length + (surgeMode ? Math.max(0, waiting - surge) : waiting);
  return { kill: [...killCur, ...killOld], surge, held };
}
