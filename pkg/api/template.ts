/**
 * A service's task template, its hash and its revision history (pure).
 *
 *   ServiceSpec ──templateOf──► TaskTemplate ──templateHash──► "3f9c0a1b2d"
 *                                     │
 *   status.revisions [{1, h1}, {2, h2}, ...{n, hash}]  (last 10, oldest first)
 *
 * Only the fields copied into tasks make a template: changing instances,
 * the upgrade strategy or the backoff never starts a rolling upgrade.
 * A template that comes back (a rollback) moves to the end of the history
 * with a new number, as Kubernetes does, so "the previous revision" is
 * always the second newest entry.
 */
import { createHash } from 'node:crypto';
import type { ServiceRevision, ServiceSpec, TaskTemplate } from './types.js';

export const TEMPLATE_FIELDS = [
  'image', 'command', 'args', 'env', 'resources', 'ports', 'constraints',
  'healthChecks', 'readinessChecks', 'killGracePeriodSeconds', 'placement', 'priority',
  'user', 'readOnlyRootFilesystem', 'capabilities', 'volumes',
] as const satisfies readonly (keyof TaskTemplate)[];

export const REVISION_HISTORY = 10;

/** The template part of a spec (a fresh copy; undefined fields left out). */
export function templateOf(spec: Partial<TaskTemplate>): TaskTemplate {
  const t: Record<string, unknown> = {};
  for (const f of TEMPLATE_FIELDS) if (spec[f] !== undefined) t[f] = structuredClone(spec[f]);
  return t as unknown as TaskTemplate;
}

/** JSON with object keys sorted, so equal templates hash equal whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function templateHash(t: TaskTemplate): string {
  return createHash('sha256').update(canonicalJson(t)).digest('hex').slice(0, 10);
}

/** The spec with its template replaced by t (template fields absent from t are removed). */
export function withTemplate(spec: ServiceSpec, t: TaskTemplate): ServiceSpec {
  const out: Record<string, unknown> = { ...spec };
  for (const f of TEMPLATE_FIELDS) delete out[f];
  return { ...(out as unknown as ServiceSpec), ...structuredClone(t) };
}

/**
 * The history with `hash` as its newest entry: unchanged when it already
 * is; else the entry moves (or is added) to the end with the next number.
 */
export function recordRevision(history: readonly ServiceRevision[], hash: string, template: TaskTemplate, now: string): { revisions: ServiceRevision[]; current: ServiceRevision } {
  const last = history.at(-1);
  if (last && last.hash === hash) return { revisions: [...history], current: last };
  const next = Math.max(0, ...history.map((r) => r.revision)) + 1;
  const current: ServiceRevision = { revision: next, hash, template, createdAt: now };
  const revisions = [...history.filter((r) => r.hash !== hash), current].slice(-REVISION_HISTORY);
  return { revisions, current };
}

/** Which revision a spec's template is in the history, if any. */
export function revisionOfSpec(spec: ServiceSpec, history: readonly ServiceRevision[] | undefined): ServiceRevision | undefined {
  const h = templateHash(templateOf(spec));
  return history?.find((r) => r.hash === h);
}
