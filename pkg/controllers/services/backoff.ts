/**
 * Launch backoff for crash loops, Marathon's rule (pure):
 *
 *   delay(n) = min(maxLaunchDelaySeconds, backoffSeconds x backoffFactor^(n-1))
 *   after the n-th consecutive failure; launches wait until lastFailure + delay.
 *
 *   fail ──► n+1 ──► delayedUntil ──► launch ──► fail ──► n+2 ...
 *     reset to 0 by: a new template, or a task that became ready after the
 *     last failure and stayed ready for RESET_AFTER_MS.
 *
 * A task lost with its node does not count (not the app's fault); exits
 * (also exit 0: a service is meant to keep running) and health kills do.
 */
import type { LaunchBackoff, ServiceSpec } from '../../api/types.js';

/** How long a task must stay ready (after the last failure) to forgive the failures. */
export const RESET_AFTER_MS = 60_000;

export function launchDelayMs(spec: Pick<ServiceSpec, 'backoffSeconds' | 'backoffFactor' | 'maxLaunchDelaySeconds'>, failures: number): number {
  if (failures <= 0) return 0;
  const s = spec.backoffSeconds * spec.backoffFactor ** (failures - 1);
  return Math.round(Math.min(spec.maxLaunchDelaySeconds, s) * 1000);
}

/** The backoff state for template `hash`: carried over, or fresh when the template changed. */
export function backoffFor(prev: LaunchBackoff | undefined, hash: string): LaunchBackoff {
  if (!prev || prev.hash !== hash) return { failures: 0, hash };
  return { ...prev };
}

/** Count one failure at time `at` (ms). */
export function addFailure(b: LaunchBackoff, at: number): LaunchBackoff {
  const last = b.lastFailureAt ? Date.parse(b.lastFailureAt) : 0;
  return { ...b, failures: b.failures + 1, lastFailureAt: new Date(Math.max(last, at)).toISOString() };
}

/**
 * Forgive the failures when a task became ready after the last one and has
 * stayed ready long enough. `readySince` lists when each ready task of the
 * template became ready (ms). Returns the state and, when a reset is due
 * later, when to look again.
 */
export function maybeReset(b: LaunchBackoff, readySince: readonly number[], now: number): { backoff: LaunchBackoff; recheckAt?: number } {
  if (b.failures === 0) return { backoff: b };
  const last = b.lastFailureAt ? Date.parse(b.lastFailureAt) : 0;
  // (a loop, not Math.min(...): a service can have more ready tasks than a call takes arguments)
  let earliest = Infinity;
  for (const t of readySince) if (t >= last && t < earliest) earliest = t;
  if (earliest === Infinity) return { backoff: b };
  if (now - earliest >= RESET_AFTER_MS) return { backoff: { failures: 0, hash: b.hash } };
  return { backoff: b, recheckAt: earliest + RESET_AFTER_MS };
}

/** When launches may happen again (ms), or 0 when they may now. */
export function delayedUntil(spec: Pick<ServiceSpec, 'backoffSeconds' | 'backoffFactor' | 'maxLaunchDelaySeconds'>, b: LaunchBackoff): number {
  if (b.failures === 0 || !b.lastFailureAt) return 0;
  return Date.parse(b.lastFailureAt) + launchDelayMs(spec, b.failures);
}
