/**
 * Who is making a request. The server's authentication step (pkg/auth)
 * attaches one to every request; handlers read it with principalOf(req).
 *
 *   viewer    read, watch, logs in its namespaces
 *   operator  viewer + apply / delete / scale / rollout / job run in its namespaces
 *   admin     everything (Namespaces, Nodes, cordon / drain, admin endpoints)
 *   node      an agent: bound to one node name (user), may write only its own
 *             Node and the status of tasks bound to it
 *
 * `namespaces` absent means every namespace. Without `--tokens` the server
 * runs open on loopback and every request is DEV_PRINCIPAL.
 */
import type { IncomingMessage } from 'node:http';

export type Role = 'viewer' | 'operator' | 'admin' | 'node';

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin', 'node'];

export interface Principal {
  user: string;
  role: Role;
  /** The namespaces it may act in; absent = all. */
  namespaces?: readonly string[];
}

/** The principal of every request of a server started without --tokens (development mode). */
export const DEV_PRINCIPAL: Principal = Object.freeze({ user: 'anonymous', role: 'admin' });

const attached = new WeakMap<IncomingMessage, Principal>();

export function setPrincipal(req: IncomingMessage, p: Principal): void {
  attached.set(req, p);
}

/** The request's principal; DEV_PRINCIPAL when none was attached (no --tokens). */
export function principalOf(req: IncomingMessage): Principal {
  return attached.get(req) ?? DEV_PRINCIPAL;
}

/** Whether p may act in namespace ns at all (cluster-scoped objects: ns undefined, admins only decide). */
export function inNamespaces(p: Principal, ns: string): boolean {
  return p.namespaces === undefined || p.namespaces.includes(ns);
}
