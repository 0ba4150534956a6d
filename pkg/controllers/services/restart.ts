/**
 * `POST /api/v1/services/<ns>/<name>/restart`: a compare-and-swap that sets
 * the service's spec.restartedAt to the server's clock (Kubernetes' `rollout
 * restart`, Marathon's restart). The services loop then replaces the tasks
 * created before it as in a rolling upgrade, within the upgrade strategy,
 * without a new template or revision. Served by every server, like rollback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Target } from '../../server/http.js';
import type { Store } from '../../store/store.js';
import { writeServiceSpec } from './spec-write.js';

/** The subresource handler; answers the updated Service. */
export function restartHandler(store: Store, now: () => Date = () => new Date()) {
  return (t: Target, _req: IncomingMessage, res: ServerResponse): Promise<void> =>
    writeServiceSpec(store, t, res, (svc) => ({ ...svc.spec, restartedAt: now().toISOString() }));
}
