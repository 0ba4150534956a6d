/**
 * Which instance gets the next connection: pure.
 *
 *   round-robin        the next instance after the last one picked
 *   least-connections  the fewest open connections; ties go round-robin
 *
 * Instances this connection already failed to reach are never picked again
 * (the caller retries the others, then gives up). Instances that refused a
 * connection a moment ago (`penalized`) are picked only when nothing else is
 * left, so a dead instance costs one refused connect, not one per request,
 * in the time before the server takes it out of endpoints.
 */

export type Strategy = 'round-robin' | 'least-connections';
export const STRATEGIES: readonly Strategy[] = ['round-robin', 'least-connections'];

export interface Candidate {
  /** `host:port`. */
  key: string;
  /** Connections open to it now (through this listener). */
  active: number;
  /** It failed a connect recently. */
  penalized: boolean;
}

export interface Choice {
  index: number;
  /** Where round-robin starts next time. */
  cursor: number;
}

export function choose(strategy: Strategy, candidates: readonly Candidate[], cursor: number, tried: ReadonlySet<string>): Choice | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  const start = ((cursor % n) + n) % n;
  let best = -1;
  for (const fresh of [true, false]) {
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      const c = candidates[i]!;
      if (tried.has(c.key) || (fresh && c.penalized)) continue;
      if (strategy === 'round-robin') {
        best = i;
        break;
      }
      if (best < 0 || c.active < candidates[best]!.active) best = i;
    }
    if (best >= 0) break;
  }
  return best < 0 ? undefined : { index: best, cursor: best + 1 };
}
