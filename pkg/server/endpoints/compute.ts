/**
 * A service's endpoints, pure: which of its tasks take traffic, per port.
 *
 *   Service (ports, servicePorts) ─┐
 *   its Tasks (state, health,      ├─► computeEndpoints ─► Endpoints {ports: [{name, servicePort?,
 *     ready, desiredState, ports)  │                                     addresses: [{host, port, task, node}]}]}
 *   Nodes (Ready, address) ────────┘
 *
 * A task is listed only while it serves: ready as the services loop counts
 * it (pkg/api/task-ready.ts: Running, Healthy when it has health checks,
 * its readiness check passed when it has one), not being killed
 * (desiredState Killed: the services loop's drain starts here, before its
 * agent stops the container), and on a Ready node. A rollout keeps enough
 * *ready* tasks, so listing a task the loop does not count (health not
 * known yet) would let the loop kill every task taking traffic at once.
 * The address is the node's advertised host (127.0.0.1 when it has none or
 * advertises a wildcard) and the task's host port of that name; addresses are sorted by task name, so equal inputs
 * give equal JSON (the view sends a change only when it is one).
 */
import type { EndpointAddress, Endpoints, Node, Service, Task } from '../../api/types.js';
import { API_VERSION } from '../../api/types.js';
import { OWNER_LABEL } from '../../api/labels.js';
import { hasHealthChecks, hasReadinessChecks } from '../../api/task-ready.js';

/** Why a task is not listed, or undefined when it serves. */
export function notServing(task: Task, node: Node | undefined): string | undefined {
  const st = task.status;
  if (task.spec.desiredState === 'Killed') return 'being killed';
  if (st?.state !== 'Running') return `not running (${st?.state ?? 'Pending'})`;
  if (st.health === 'Unhealthy') return 'unhealthy';
  if (hasHealthChecks(task) && st.health !== 'Healthy') return 'not healthy yet';
  if (hasReadinessChecks(task) && st.ready !== true) return 'not ready';
  if (!node) return `its node ${st.nodeName ?? '?'} is unknown`;
  if (node.status?.state !== 'Ready') return `its node ${node.metadata.name} is not Ready`;
  return undefined;
}

/** The host to reach a node's tasks at: its advertised address's host, else loopback. */
export function nodeHost(node: Node | undefined): string {
  const a = node?.spec.address ?? '';
  const m = /^\[([^\]]+)\]:\d+$/.exec(a) ?? /^([^:]+):\d+$/.exec(a);
  const host = m?.[1] ?? '';
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Whether a task is one of the service's (its owner label and uid). */
export function ownedBy(task: Task, svc: Service): boolean {
  return (
    task.metadata.labels?.[OWNER_LABEL] === `service/${svc.metadata.name}` &&
    (task.metadata.namespace ?? 'default') === (svc.metadata.namespace ?? 'default') &&
    (svc.metadata.uid === undefined || task.spec.ownerUid === svc.metadata.uid)
  );
}

export function computeEndpoints(svc: Service, tasks: readonly Task[], nodeOf: (name: string) => Node | undefined): Endpoints {
  const serving = tasks
    .filter((t) => ownedBy(t, svc))
    .filter((t) => notServing(t, t.status?.nodeName ? nodeOf(t.status.nodeName) : undefined) === undefined)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return {
    apiVersion: API_VERSION,
    kind: 'Endpoints',
    metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace ?? 'default' },
    ports: (svc.spec.ports ?? []).map((p) => {
      const addresses: EndpointAddress[] = [];
      for (const t of serving) {
        const port = t.status?.ports?.[p.name];
        if (typeof port !== 'number') continue; // a task of an older template without this port
        const node = t.status!.nodeName!;
        addresses.push({ host: nodeHost(nodeOf(node)), port, task: t.metadata.name, node });
      }
      return { name: p.name, ...(p.servicePort ? { servicePort: p.servicePort } : {}), addresses };
    }),
  };
}
