/**
 * `POST /api/v1/services/<ns>/<name>/rollback` with `{"revision"?: N}`:
 * a compare-and-swap of the service's spec back to a template from its
 * revision history. Served by every server (it is a user's write, not a
 * loop's); the services loop then rolls the service over like any other
 * template change.
 *
 *   status.revisions [.., {2, h2}, {3, h3}]   spec template = h3 (current)
 *   undo            ──► template of 2 (the newest that is not current)
 *   undo --to N     ──► template of N (404 if unknown, 400 if current)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, isApiError } from '../../api/errors.js';
import { readJson } from '../../server/respond.js';
import type { Target } from '../../server/http.js';
import type { Store } from '../../store/store.js';
import { writeServiceSpec } from './spec-write.js';
import { rollbackTarget } from '../../api/rollback.js';
import { withTemplate } from '../../api/template.js';

async function readBody(req: IncomingMessage): Promise<{ revision?: number }> {
  if (req.headers['content-length'] === '0') return {};
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (e) {
    if (isApiError(e, 'BadRequest') && /empty/.test(e.message)) return {};
    throw e;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('BadRequest', 'expected a JSON object like {"revision": 2}');
  const rev = (body as { revision?: unknown }).revision;
  if (rev !== undefined && (typeof rev !== 'number' || !Number.isInteger(rev) || rev < 1)) {
    throw new ApiError('BadRequest', `revision must be a positive integer, got ${JSON.stringify(rev)}`, [{ field: 'revision', rule: 'minimum', message: 'a positive integer' }]);
  }
  return rev === undefined ? {} : { revision: rev };
}

/** The subresource handler; answers the updated Service. */
export function rollbackHandler(store: Store) {
  return async (t: Target, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { revision } = await readBody(req);
    await writeServiceSpec(store, t, res, (svc) => withTemplate(svc.spec, rollbackTarget(svc, revision).template));
  };
}
