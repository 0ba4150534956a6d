/**
 * Dependency cycles between Services of one namespace. A cycle would leave
 * every service in it waiting for the others forever, so the API refuses a
 * write that closes one (as Marathon refuses a cyclic group), and the
 * services loop names one that concurrent writes slipped past it.
 */

/** The services `name` depends on, or undefined when there is no such service. */
export type DependenciesOf = (name: string) => readonly string[] | undefined;

/**
 * A cycle through `start`, as the path `[start, ..., start]`; undefined
 * when there is none. Depth-first, each service visited once, so the cost
 * is linear in the edges.
 */
export function dependencyCycle(start: string, depsOf: DependenciesOf): string[] | undefined {
  const seen = new Set<string>();
  const path: string[] = [start];
  const visit = (name: string): boolean => {
    for (const next of depsOf(name) ?? []) {
      if (next === start) {
        path.push(start);
        return true;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      path.push(next);
      if (visit(next)) return true;
      path.pop();
    }
    return false;
  };
  return visit(start) ? path : undefined;
}

/** `web → api → web: a dependency cycle (each would wait for the next forever)` */
export function cycleMessage(cycle: readonly string[]): string {
  return `${cycle.join(' → ')}: a dependency cycle (each would wait for the next forever)`;
}
