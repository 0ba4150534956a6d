/**
 * A user's writes to a service's spec behind the services subresources
 * (served by pkg/server, by every server: they are a user's writes, not a
 * loop's). Each is a compare-and-swap of the spec, computed from the current
 * version and computed again from the newer one if someone wrote it
 * meanwhile; the services loop then rolls the service over like any other
 * spec change.
 *
 *   rollback: spec template ──► the template of a revision (api/rollback.ts)
 *   restart:  spec.restartedAt ──► now (tasks created before it are replaced
 *             as in a rolling upgrade, without a new template or revision)
 */
import { ApiError, isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import { rollbackTarget } from '../api/rollback.js';
import { withTemplate } from '../api/template.js';
import { DEFAULT_SERVICE_PORT_RANGE } from '../api/service-ports.js';
import type { PortRange, Service, ServiceSpec } from '../api/types.js';
import { writeServiceWithPorts } from './service-ports.js';
import type { Store } from './store.js';

const SERVICE = lookupKind('Service')!;

/** Refuses (throws) a spec the writer may not write, such as a template its namespace does not allow. */
export type Admit = (want: Service) => Promise<void>;

/**
 * Write next(current) as the spec, with the service port claims it needs
 * (a rollback may bring back a template with other service ports); returns
 * the updated Service (with its status as read).
 */
export async function writeServiceSpec(store: Store, namespace: string | undefined, name: string, next: (cur: Service) => ServiceSpec, range: PortRange = DEFAULT_SERVICE_PORT_RANGE, admit?: Admit): Promise<Service> {
  for (let attempt = 0; ; attempt++) {
    const cur = await store.get<Service>(SERVICE, namespace, name);
    if (!cur) throw new ApiError('NotFound', `service "${name}" not found in namespace "${namespace ?? 'default'}"`);
    const want: Service = { ...cur.object, spec: next(cur.object) };
    delete want.status;
    if (admit) await admit(want);
    try {
      const updated = await writeServiceWithPorts(store, { want, cur, range });
      return { ...updated.object, status: cur.object.status };
    } catch (e) {
      // someone else wrote the service meanwhile: decide again on the new version
      if (attempt < 3 && isApiError(e, 'Conflict')) continue;
      throw e;
    }
  }
}

/** Put the template of `revision` (default: the previous one) back as the spec's. */
export function rollbackService(store: Store, namespace: string | undefined, name: string, revision?: number, range?: PortRange, admit?: Admit): Promise<Service> {
  return writeServiceSpec(store, namespace, name, (svc) => withTemplate(svc.spec, rollbackTarget(svc, revision).template), range, admit);
}

/** Set spec.restartedAt to now (Kubernetes' `rollout restart`, Marathon's restart). */
export function restartService(store: Store, namespace: string | undefined, name: string, now: Date = new Date()): Promise<Service> {
  return writeServiceSpec(store, namespace, name, (svc) => ({ ...svc.spec, restartedAt: now.toISOString() }));
}
