/**
 * The services subresources, answered by every server (a user's write, not
 * a loop's):
 *
 *   POST /api/v1/services/<ns>/<name>/rollback  {"revision"?: N}
 *   POST /api/v1/services/<ns>/<name>/restart
 *
 * Here: the body read and checked, the answer (200 with the updated
 * Service). The write itself is store/service-spec.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, isApiError } from '../api/errors.js';
import type { PortRange, Service } from '../api/types.js';
import { refuseDisallowed } from './admission.js';
import { restartService, rollbackService } from '../store/service-spec.js';
import type { Store } from '../store/store.js';
import { readJson, sendJson } from './respond.js';

export async function serveRollback(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string, range?: PortRange): Promise<void> {
  const { revision } = await readRollbackBody(req);
  // the old template must still be allowed by the namespace as it is now
  const admit = (want: Service) => refuseDisallowed(store, [want], false);
  sendJson(res, 200, await rollbackService(store, namespace, name, revision, range, admit));
}

export async function serveRestart(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string | undefined, name: string, now: Date = new Date()): Promise<void> {
  // it takes no options, but a body that is there must be a JSON object: a malformed request writes nothing
  await readOptionalObject(req, 'expected no body or a JSON object like {}');
  sendJson(res, 200, await restartService(store, namespace, name, now));
}

/** No body, or a JSON object (the jobs subresources read theirs with it too). */
export async function readOptionalObject(req: IncomingMessage, expected: string): Promise<Record<string, unknown>> {
  if (req.headers['content-length'] === '0') return {};
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (e) {
    if (isApiError(e, 'BadRequest') && /empty/.test(e.message)) return {};
    throw e;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('BadRequest', expected);
  return body as Record<string, unknown>;
}

/** `{"revision": N}`, `{}` or no body at all. */
async function readRollbackBody(req: IncomingMessage): Promise<{ revision?: number }> {
  const body = await readOptionalObject(req, 'expected a JSON object like {"revision": 2}');
  const rev = (body as { revision?: unknown }).revision;
  if (rev !== undefined && (typeof rev !== 'number' || !Number.isInteger(rev) || rev < 1)) {
    throw new ApiError('BadRequest', `revision must be a positive integer, got ${JSON.stringify(rev)}`, [{ field: 'revision', rule: 'minimum', message: 'a positive integer' }]);
  }
  return rev === undefined ? {} : { revision: rev };
}
