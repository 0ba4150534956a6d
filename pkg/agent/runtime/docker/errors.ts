/**
 * dockerode failures -> RuntimeError with a reason a task status can carry.
 * Only a lost engine connection is retryable: a 4xx/5xx from the engine
 * answers the same way the next time.
 */
import { RuntimeError } from '../runtime.js';

export interface DockerodeError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
  code?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EACCES']);

export const statusOf = (e: unknown): number | undefined => (e as DockerodeError)?.statusCode;

/** True when the engine could not be reached at all (dockerd down, socket missing). */
export function isConnectionError(e: unknown): boolean {
  const code = (e as DockerodeError)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/**
 * A start refused because containerd already holds the container, its task
 * or its shim's directory ("task <id>: already exists", "id already in
 * use", "failed to start shim: mkdir …/<id>: file exists"): what an earlier
 * start left when the engine restarted in the middle of it. Not the task's
 * fault: the container may even be running; worth looking and trying again.
 */
export function isInterruptedStartLeftover(e: unknown): boolean {
  return /\balready exists\b|\bid already in use\b|failed to start shim: .*\bfile exists\b/i.test(engineMessage(e));
}

/** The engine's own message when it gave one ("No such image: x"), else the error's. */
export function engineMessage(e: unknown): string {
  const d = e as DockerodeError;
  const m = d?.json && typeof d.json === 'object' && typeof d.json.message === 'string' ? d.json.message : d?.message ?? String(e);
  return m.trim();
}

export function toRuntimeError(e: unknown, reason: string, what: string): RuntimeError {
  if (e instanceof RuntimeError) return e;
  if (isConnectionError(e)) {
    return new RuntimeError('EngineUnavailable', `${what}: the Docker engine is not reachable (${engineMessage(e)})`, true);
  }
  return new RuntimeError(reason, `${what}: ${engineMessage(e)}`);
}
