/**
 * The write behind the services subresources (rollback, restart): a
 * compare-and-swap of a service's spec, computed from its current version
 * and computed again from the newer one if someone wrote it meanwhile.
 */
import type { ServerResponse } from 'node:http';
import { ApiError, isApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { Service, ServiceSpec } from '../../api/types.js';
import { sendJson } from '../../server/respond.js';
import type { Target } from '../../server/http.js';
import type { Store } from '../../store/store.js';

const SERVICE = lookupKind('Service')!;

/** Write next(current) as the spec; answer 200 with the updated Service (its status as read). */
export async function writeServiceSpec(store: Store, t: Target, res: ServerResponse, next: (cur: Service) => ServiceSpec): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const cur = await store.get<Service>(SERVICE, t.namespace, t.name);
    if (!cur) throw new ApiError('NotFound', `service "${t.name}" not found in namespace "${t.namespace ?? 'default'}"`);
    const want: Service = { ...cur.object, spec: next(cur.object) };
    delete want.status;
    try {
      const updated = await store.update(SERVICE, want, cur, cur.specRev);
      sendJson(res, 200, { ...updated.object, status: cur.object.status });
      return;
    } catch (e) {
      // someone else wrote the service meanwhile: decide again on the new version
      if (attempt < 3 && isApiError(e, 'Conflict')) continue;
      throw e;
    }
  }
}
