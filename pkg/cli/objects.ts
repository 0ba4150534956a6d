/** Typed reads and writes of resources over the client, with the CLI's not-found message. */
import { isApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import type { StowageClient } from './client.js';
import { NotFoundError } from './errors.js';
import { listPath, notFoundMessage, objectPath } from './kinds.js';

export interface List<T = AnyResource> {
  apiVersion?: string;
  kind: 'List';
  metadata?: { resourceVersion?: string };
  items: T[];
}

export async function getObject<T extends AnyResource = AnyResource>(
  client: StowageClient, kind: KindInfo, namespace: string | undefined, name: string,
): Promise<T> {
  try {
    return await client.get<T>(objectPath(kind, namespace, name));
  } catch (e) {
    if (isApiError(e, 'NotFound')) throw new NotFoundError(notFoundMessage(kind, name, namespace));
    throw e;
  }
}

export async function listObjects<T extends AnyResource = AnyResource>(
  client: StowageClient, kind: KindInfo, q: { namespace?: string; labelSelector?: string } = {},
): Promise<List<T>> {
  const list = await client.get<List<T>>(listPath(kind), {
    namespace: kind.namespaced ? q.namespace : undefined,
    labelSelector: q.labelSelector,
  });
  return { ...list, items: Array.isArray(list?.items) ? list.items : [] };
}

/** By namespace, then name: stable output whatever order the server used. */
export function byNamespaceAndName(a: AnyResource, b: AnyResource): number {
  const an = a.metadata.namespace ?? '';
  const bn = b.metadata.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** The object as PUT expects it: without status, which the server ignores anyway. */
export function forUpdate<T extends AnyResource>(obj: T): T {
  const { status: _status, ...rest } = obj;
  return rest as T;
}

/**
 * Read, change, write with metadata.resourceVersion (a compare-and-swap);
 * on a 409 Conflict read again and retry once.
 */
export async function updateWithRetry<T extends AnyResource>(
  client: StowageClient, kind: KindInfo, namespace: string | undefined, name: string,
  mutate: (obj: T) => T | undefined,
): Promise<{ before: T; after: T; changed: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const before = await getObject<T>(client, kind, namespace, name);
    const next = mutate(structuredClone(before));
    if (!next) return { before, after: before, changed: false };
    try {
      const after = await client.put<T>(objectPath(kind, namespace, name), forUpdate(next));
      return { before, after: after ?? next, changed: true };
    } catch (e) {
      if (attempt === 0 && isApiError(e, 'Conflict')) continue;
      throw e;
    }
  }
}
