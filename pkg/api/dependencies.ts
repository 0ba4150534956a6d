/**
 * One dependency graph over the Services and Jobs of a namespace: a
 * Service's `dependencies` and a Job's `parents` are its edges, each a
 * reference `service/NAME` or `job/NAME` (a bare name is the lister's own
 * kind). A cycle would leave every member waiting for the next forever, so
 * the API refuses a write that closes one (as Marathon refuses a cyclic
 * group and Chronos a cyclic chain), and the loops name one that
 * concurrent writes slipped past it.
 */
import { parseRef, refKey } from './jobs.js';
import type { AnyResource } from './types.js';

/** The nodes `node` (a `kind/name` key) depends on, or undefined when there is no such object. */
export type DependenciesOf = (node: string) => readonly string[] | undefined;

/** The graph key of a Service or a Job. */
export const nodeKeyOf = (o: AnyResource): string => `${o.kind === 'Job' ? 'job' : 'service'}/${o.metadata.name}`;

/** What a Service or a Job depends on, as graph keys. */
export function edgesOf(o: AnyResource): string[] {
  const spec = o.spec as { dependencies?: string[]; parents?: string[] };
  if (o.kind === 'Service') return (spec.dependencies ?? []).map((d) => refKey(parseRef(d, 'service')));
  if (o.kind === 'Job') return (spec.parents ?? []).map((p) => refKey(parseRef(p, 'job')));
  return [];
}

/**
 * A cycle through `start`, as the path `[start, ..., start]`; undefined
 * when there is none. Depth-first, each node visited once, so the cost is
 * linear in the edges.
 */
export function dependencyCycle(start: string, depsOf: DependenciesOf): string[] | undefined {
  const seen = new Set<string>();
  const path: string[] = [start];
  const visit = (node: string): boolean => {
    for (const next of depsOf(node) ?? []) {
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

/**
 * `web → api → web: a dependency cycle (each would wait for the next forever)`;
 * with jobs in it, every member by kind: `service/web → job/migrate → service/web: ...`.
 */
export function cycleMessage(cycle: readonly string[]): string {
  const servicesOnly = cycle.every((n) => n.startsWith('service/'));
  const shown = servicesOnly ? cycle.map((n) => n.slice('service/'.length)) : cycle;
  return `${shown.join(' → ')}: a dependency cycle (each would wait for the next forever)`;
}
