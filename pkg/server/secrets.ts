/**
 * Who may see secret values through the API, and the agent's way to them:
 *
 *   GET /api/v1/secrets/<ns>/<name>?reveal=1        values opened: operator or admin of ns only
 *   GET /api/v1/tasks/<ns>/<name>/secret-env        {env, missing}: the task's {secret, key}
 *                                                  env resolved; admin, or the node the task is bound to
 *
 * Lists and watches of secrets never reveal (objects.ts, watch-join.ts redact).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Secret, Task } from '../api/types.js';
import { inNamespaces, principalOf } from '../auth/principal.js';
import type { SecretCipher } from '../secrets/cipher.js';
import { resolveRefs } from '../secrets/resolve.js';
import type { Store } from '../store/store.js';
import { notFound } from './objects.js';
import { sendJson } from './respond.js';

const TASKS = lookupKind('Task')!;
const SECRETS = lookupKind('Secret')!;

/** `reveal=1|true` asks for a Secret's values. */
export function wantsReveal(q: URLSearchParams): boolean {
  const v = q.get('reveal');
  return v === '1' || v === 'true';
}

/** Throws Forbidden unless the request's principal may see the values of secrets in namespace. */
export function checkReveal(req: IncomingMessage, namespace: string): void {
  const p = principalOf(req);
  if ((p.role === 'admin' || p.role === 'operator') && inNamespaces(p, namespace)) return;
  throw new ApiError('Forbidden', `${p.role} "${p.user}" may not reveal secrets in namespace "${namespace}": only an operator or admin of the namespace may (reveal=1)`);
}

export async function serveSecretEnv(store: Store, cipher: SecretCipher, req: IncomingMessage, res: ServerResponse, namespace: string, name: string): Promise<void> {
  const s = await store.get<Task>(TASKS, namespace, name);
  if (!s) throw notFound(TASKS, namespace, name);
  const task = s.object;
  const p = principalOf(req);
  const node = task.status?.nodeName;
  const allowed = p.role === 'admin' || (p.role === 'node' && node !== undefined && p.user === node);
  if (!allowed) {
    throw new ApiError('Forbidden', `${p.role} "${p.user}" may not read the secret env of task "${name}" in namespace "${namespace}": only an admin or the node it is bound to${node ? ` (${node})` : ''} may`);
  }
  const read = async (ns: string, secret: string) => (await store.get<never>(SECRETS, ns, secret))?.object as Secret | undefined;
  const r = await resolveRefs(task, read, cipher);
  res.setHeader('cache-control', 'no-store');
  sendJson(res, 200, { apiVersion: 'stowage/v1', kind: 'SecretEnv', env: r.env, missing: r.missing });
}
