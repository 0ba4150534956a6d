/**
 * The kinds Stowage knows, with the names users may call them by
 * (`svc`, `services`, `Service` all mean the same kind).
 */

export interface KindInfo {
  /** As written in YAML: "Service". */
  kind: string;
  /** As used in URLs and etcd keys: "services". */
  plural: string;
  singular: string;
  short: string[];
  namespaced: boolean;
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'Namespace', plural: 'namespaces', singular: 'namespace', short: ['ns'], namespaced: false },
  { kind: 'Node', plural: 'nodes', singular: 'node', short: ['no'], namespaced: false },
  { kind: 'Service', plural: 'services', singular: 'service', short: ['svc'], namespaced: true },
  { kind: 'Job', plural: 'jobs', singular: 'job', short: [], namespaced: true },
  { kind: 'JobRun', plural: 'jobruns', singular: 'jobrun', short: ['runs', 'jr'], namespaced: true },
  { kind: 'Task', plural: 'tasks', singular: 'task', short: ['tk'], namespaced: true },
  { kind: 'Event', plural: 'events', singular: 'event', short: ['ev'], namespaced: true },
  { kind: 'Secret', plural: 'secrets', singular: 'secret', short: [], namespaced: true },
];

const byName = new Map<string, KindInfo>();
for (const k of KINDS) {
  for (const n of [k.kind, k.plural, k.singular, ...k.short]) byName.set(n.toLowerCase(), k);
}

/** Resolve any user-facing name of a kind; undefined when unknown. */
export function lookupKind(name: string): KindInfo | undefined {
  return byName.get(name.toLowerCase());
}

export function kindNames(): string[] {
  return KINDS.map((k) => k.plural);
}

/** Namespace used in keys for cluster-scoped kinds. */
export const CLUSTER_SCOPE = '_';
export const DEFAULT_NAMESPACE = 'default';
