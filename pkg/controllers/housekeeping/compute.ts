/**
 * What the housekeeping loop decides, pure (controller.ts runs it):
 *
 *   tick every --compaction-interval:  seen = [rev one interval ago, rev now]
 *     compact to the revision seen one interval ago (the Kubernetes API
 *     server's rule), so a watcher is never more than one or two intervals
 *     behind what etcd keeps, and never compacts twice to the same revision
 *
 *   every quota check: dbSize / quota >= 80% ──► warn once when it crosses,
 *     once when it falls back (no log line per check)
 */

/** The share of the quota past which the server warns (and the Prometheus rule alerts). */
export const QUOTA_WARN_RATIO = 0.8;

/** The revision to compact to at this tick, given the one seen at the last tick; undefined: nothing to do. */
export function compactTarget(previous: string | undefined, lastCompacted: string | undefined): string | undefined {
  if (previous === undefined || BigInt(previous) <= 1n) return undefined;
  if (lastCompacted !== undefined && BigInt(previous) <= BigInt(lastCompacted)) return undefined;
  return previous;
}

export type QuotaChange = 'over' | 'back' | undefined;

/** Whether the database crossed the warning line since the last check (wasOver), and where it is now. */
export function quotaCheck(dbSize: number, quota: number, wasOver: boolean): { over: boolean; ratio: number; change: QuotaChange } {
  const ratio = quota > 0 ? dbSize / quota : 0;
  const over = ratio >= QUOTA_WARN_RATIO;
  return { over, ratio, change: over && !wasOver ? 'over' : !over && wasOver ? 'back' : undefined };
}
