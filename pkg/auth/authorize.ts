/**
 * Authorization: may this principal do this verb on this kind in this
 * namespace? Pure, so each role is table-tested against each verb and kind
 * (authorize.test.ts). The server asks it for every route (pkg/server/http.ts)
 * and answers 403 with the refusal's message.
 *
 *   role      namespaced kinds (in its namespaces)       cluster-scoped kinds
 *   viewer    get list watch logs (no secrets)           get list watch
 *   operator  viewer + secrets + every write verb        get list watch
 *   admin     everything                                 everything
 *   node      endpoints (get list watch) only            get list watch; write its own Node
 *
 * A list or watch of every namespace (namespace undefined) is allowed to a
 * namespaced principal: the server then shows it only its namespaces'
 * objects (scope.ts). The agents' own routes check the node scope themselves.
 */
import { inNamespaces, type Principal } from './principal.js';

export const READ_VERBS = ['get', 'list', 'watch', 'logs'] as const;
export const WRITE_VERBS = ['create', 'update', 'delete', 'apply', 'scale', 'rollback', 'restart', 'run', 'suspend', 'resume', 'backfill', 'mark-success'] as const;
/** Verbs only an admin has, whatever the kind (drain, token management, admin endpoints). */
export const ADMIN_VERBS = ['cordon', 'drain', 'admin'] as const;
export type Verb = (typeof READ_VERBS)[number] | (typeof WRITE_VERBS)[number] | (typeof ADMIN_VERBS)[number];

export interface AuthzRequest {
  verb: Verb;
  /** The kind's plural (`services`), or a route's name (`endpoints`, `servers`, `sd`). */
  kind: string;
  /** The namespace; undefined for a cluster-scoped kind, or a list / watch of every namespace. */
  namespace?: string;
  /** The object's name (a node token may write only the Node named as its user). */
  name?: string;
  /** A subresource (`log`, `rollback`, ...), for the message. */
  sub?: string;
}

export type Decision = { allowed: true } | { allowed: false; message: string };

/** Cluster-scoped kinds and routes: every authenticated role may read them (the UI's overview needs nodes and namespaces). */
const CLUSTER_KINDS = new Set(['namespaces', 'nodes', 'servers', 'sd']);
/** Cluster-wide views a node token does not need. */
const NOT_FOR_NODES = new Set(['servers', 'sd']);
/** Kinds a viewer may not read. */
const HIDDEN_FROM_VIEWERS = new Set(['secrets']);
/** What a node token may read of the namespaced kinds through the general routes (the proxy and DNS on its host). */
const NODE_READS = new Set(['endpoints']);

const READ = new Set<string>(READ_VERBS);
const WRITE = new Set<string>(WRITE_VERBS);
const ALLOWED: Decision = Object.freeze({ allowed: true });

export function authorize(p: Principal, r: AuthzRequest): Decision {
  const refuse = (why: string): Decision => ({ allowed: false, message: `${describe(p)} may not ${r.verb} ${what(r)}${where(r)}${why ? ` (${why})` : ''}` });
  const read = READ.has(r.verb);
  const write = WRITE.has(r.verb);
  if (!read && !write && !(ADMIN_VERBS as readonly string[]).includes(r.verb)) return refuse('unknown verb');
  const cluster = CLUSTER_KINDS.has(r.kind);
  // a namespace outside the principal's is refused to every role, admins scoped to namespaces included
  if (!cluster && r.namespace !== undefined && !inNamespaces(p, r.namespace)) return refuse(`${p.user} acts only in ${nsList(p)}`);
  if (p.role === 'admin') return ALLOWED;
  if (!read && !write) return refuse('admin only');
  if (p.role === 'node') {
    if (cluster && read && !NOT_FOR_NODES.has(r.kind)) return ALLOWED;
    if (r.kind === 'nodes' && (r.verb === 'create' || r.verb === 'update' || r.verb === 'apply')) {
      return r.name === p.user ? ALLOWED : refuse(`a node token writes only its own Node, ${p.user}`);
    }
    if (NODE_READS.has(r.kind) && read) return ALLOWED;
    return refuse('a node token reads nodes and writes its own Node; the agent routes serve the rest');
  }
  if (cluster) return read ? ALLOWED : refuse(`${r.kind} are cluster-scoped: admin only`);
  if (p.role === 'viewer') {
    if (HIDDEN_FROM_VIEWERS.has(r.kind)) return refuse(`${r.kind}: operator or admin only`);
    return read ? ALLOWED : refuse('a viewer may only get, list, watch and read logs');
  }
  // operator: every read and write verb in its namespaces
  return ALLOWED;
}

/** "user bob (operator of a)", "user alice (admin)", "user node-1 (node)". */
export function describe(p: Principal): string {
  if (p.role === 'admin' || p.role === 'node') return `user ${p.user} (${p.role}${p.namespaces ? ` of ${p.namespaces.join(', ')}` : ''})`;
  return `user ${p.user} (${p.role} of ${p.namespaces ? p.namespaces.join(', ') : 'every namespace'})`;
}

const nsList = (p: Principal): string => (p.namespaces ?? []).map((n) => `namespace ${n}`).join(', ') || 'no namespace';
const what = (r: AuthzRequest): string => (r.sub ? `${r.kind}/${r.sub}` : r.kind);
const where = (r: AuthzRequest): string => (r.namespace !== undefined && !CLUSTER_KINDS.has(r.kind) ? ` in namespace ${r.namespace}` : '');
