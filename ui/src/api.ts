/**
 * The writes the UI makes: the same endpoints and the same compare-and-swap as stowctl
 * (pkg/cli/objects.ts updateWithRetry; docs/api.md). A refusal becomes an ApiError whose
 * text is the API's message and each detail's field and rule.
 */
import type { AnyResource } from '../../pkg/api/types.js';
import { apiFetch } from './auth.js';

interface Detail {
  field?: string;
  rule?: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Detail[] = []) {
    super(message);
  }
}

/** The path of one object: cluster-scoped kinds (nodes) take no namespace. */
export const objectPath = (kind: string, ns: string | undefined, name: string): string =>
  `/api/v1/${kind}/${ns === undefined ? '' : `${encodeURIComponent(ns)}/`}${encodeURIComponent(name)}`;

export async function request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let r: Response;
  try {
    r = await apiFetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'Unreachable', `the server did not answer: ${String(e)}`);
  }
  const text = await r.text();
  let j: unknown;
  try {
    j = text ? JSON.parse(text) : undefined;
  } catch {
    j = undefined;
  }
  if (!r.ok) {
    const e = (j ?? {}) as { code?: string; message?: string; details?: Detail[] };
    throw new ApiError(r.status, e.code ?? String(r.status), e.message ?? (text || r.statusText), Array.isArray(e.details) ? e.details : []);
  }
  return j as T;
}

/** Read, change, write with metadata.resourceVersion; on a 409 Conflict read again and retry once. */
export async function updateWithRetry<T extends AnyResource>(kind: string, ns: string | undefined, name: string, mutate: (o: T) => T | undefined): Promise<boolean> {
  const path = objectPath(kind, ns, name);
  for (let attempt = 0; ; attempt++) {
    const before = await request<T>('GET', path);
    const next = mutate(structuredClone(before));
    if (!next) return false;
    const { status: _status, ...rest } = next as T & { status?: unknown };
    try {
      await request('PUT', path, rest);
      return true;
    } catch (e) {
      if (attempt === 0 && e instanceof ApiError && e.code === 'Conflict') continue;
      throw e;
    }
  }
}
