/**
 * What a principal may see of lists and watch streams: a namespaced
 * principal sees only objects of its namespaces (and every cluster-scoped
 * object); a list or watch of every namespace is narrowed, not refused.
 */
import type { Principal } from './principal.js';

/** Whether p sees an object in namespace ns (undefined: cluster-scoped); undefined when p sees everything. */
export function visibleTo(p: Principal): ((ns: string | undefined) => boolean) | undefined {
  const mine = p.namespaces;
  if (mine === undefined) return undefined;
  if (mine.length === 1) {
    const only = mine[0];
    return (ns) => ns === undefined || ns === only;
  }
  const set = new Set(mine);
  return (ns) => ns === undefined || set.has(ns);
}
