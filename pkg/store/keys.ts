/**
 * The etcd key layout, in one place:
 *
 *   /stowage/<plural>/<namespace>/<name>          the object without status
 *   /stowage/status/<plural>/<namespace>/<name>   its status
 *   /stowage/assignments/<node>/<namespace>/<task> a task bound to a node (its agent watches only this)
 *   /stowage/heartbeats/<node>                    on the agent's lease: present while it lives
 *   /stowage/agent-secrets/<node>                 the secret its agent's log endpoint wants (no kind shows it)
 *   /stowage/leader/<lease id>                    election candidates; lowest create revision leads
 *   /stowage/serviceports/<port>                  a service port's holder (written with the service's spec)
 *
 * Cluster-scoped kinds use "_" as their namespace.
 */
import { CLUSTER_SCOPE, type KindInfo } from '../api/kinds.js';

export const ROOT = '/stowage';

export const nsSegment = (kind: KindInfo, namespace: string | undefined): string =>
  kind.namespaced ? (namespace ?? 'default') : CLUSTER_SCOPE;

export const specPrefix = (kind: KindInfo, namespace?: string): string =>
  namespace === undefined ? `${ROOT}/${kind.plural}/` : `${ROOT}/${kind.plural}/${nsSegment(kind, namespace)}/`;

export const statusPrefix = (kind: KindInfo, namespace?: string): string =>
  namespace === undefined
    ? `${ROOT}/status/${kind.plural}/`
    : `${ROOT}/status/${kind.plural}/${nsSegment(kind, namespace)}/`;

export const specKey = (kind: KindInfo, namespace: string | undefined, name: string): string =>
  `${ROOT}/${kind.plural}/${nsSegment(kind, namespace)}/${name}`;

export const statusKey = (kind: KindInfo, namespace: string | undefined, name: string): string =>
  `${ROOT}/status/${kind.plural}/${nsSegment(kind, namespace)}/${name}`;

export const assignmentPrefix = (node: string): string => `${ROOT}/assignments/${node}/`;
export const assignmentKey = (node: string, namespace: string, task: string): string =>
  `${ROOT}/assignments/${node}/${namespace}/${task}`;

export const HEARTBEAT_PREFIX = `${ROOT}/heartbeats/`;
export const heartbeatKey = (node: string): string => `${HEARTBEAT_PREFIX}${node}`;

export const AGENT_SECRET_PREFIX = `${ROOT}/agent-secrets/`;
export const agentSecretKey = (node: string): string => `${AGENT_SECRET_PREFIX}${node}`;

export const LEADER_PREFIX = `${ROOT}/leader/`;

export const SERVICE_PORT_PREFIX = `${ROOT}/serviceports/`;
export const servicePortKey = (port: number): string => `${SERVICE_PORT_PREFIX}${port}`;

/** "namespace/name" — the key loops queue and caches index by. */
export const objectKey = (namespace: string | undefined, name: string): string =>
  `${namespace ?? CLUSTER_SCOPE}/${name}`;

/** Split the tail of a spec or status key into namespace and name. */
export function parseTail(key: string, prefix: string): { namespace: string; name: string } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length).split('/');
  if (rest.length !== 2) return undefined;
  return { namespace: rest[0]!, name: rest[1]! };
}
