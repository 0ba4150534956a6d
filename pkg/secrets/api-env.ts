/**
 * SecretEnv for an agent on the API (`stowage agent --server`): the server
 * resolves the task's references and answers only the resolved env.
 *
 *   GET /api/v1/tasks/<ns>/<name>/secret-env  ->  {env: {PASSWORD: "..."}, missing: [...]}
 *
 * `fetchJson(path)` is the agent's authenticated GET (it throws on a non-2xx
 * answer; a retry is the node sync's business).
 */
import { secretRefsOf } from '../api/secrets.js';
import type { Task } from '../api/types.js';
import { envOrThrow, type MissingRef, type SecretEnv } from './resolve.js';

export type FetchJson = (path: string) => Promise<unknown>;

export const secretEnvPath = (namespace: string, name: string): string =>
  `/api/v1/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/secret-env`;

export class ApiSecretEnv implements SecretEnv {
  constructor(private readonly fetchJson: FetchJson) {}

  async resolve(task: Task): Promise<Record<string, string>> {
    if (secretRefsOf(task.spec.env).length === 0) return {};
    const body = (await this.fetchJson(secretEnvPath(task.metadata.namespace ?? 'default', task.metadata.name))) as { env?: Record<string, string>; missing?: MissingRef[] } | null;
    if (!body || typeof body.env !== 'object' || body.env === null) throw new Error('secret-env: the server answered without an env');
    return envOrThrow({ env: body.env, missing: Array.isArray(body.missing) ? body.missing : [] }, task);
  }
}
