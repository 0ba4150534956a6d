/**
 * `POST /api/v1/services/<ns>/<name>/restart`: a compare-and-swap that sets
 * the service's spec.restartedAt to the server's clock (Kubernetes' `rollout
 * restart`, Marathon's restart). The services loop then replaces the tasks
 * created before it as in a rolling upgrade, within the upgrade strategy,
 * without a new template or revision. Served by every server, like rollback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, isApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { Service } from '../../api/types.js';
import { sendJson } from '../../server/respond.js';
import type { Target } from '../../server/http.js';
import type { Store } from '../../store/store.js';

const SERVICE = lookupKind('Service')!;

/** The subresource handler; answers the updated Service. */
export function restartHandler(store: Store, now: () => Date = () => new Date()) {
  return async (t: Target, _req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const cur = await store.get<Service>(SERVICE, t.namespace, t.name);
      if (!cur) throw new ApiError('NotFound', `service "${t.name}" not found in namespace "${t.namespace ?? 'default'}"`);
      const next: Service = { ...cur.object, spec: { ...cur.object.spec, restartedAt: now().toISOString() } };
      delete next.status;
      try {
        const updated = await store.update(SERVICE, next, cur, cur.specRev);
        sendJson(res, 200, { ...updated.object, status: cur.object.status });
        return;
      } catch (e) {
        // someone else wrote the service meanwhile: restart the new version
        if (attempt < 3 && isApiError(e, 'Conflict')) continue;
        throw e;
      }
    }
  };
}
