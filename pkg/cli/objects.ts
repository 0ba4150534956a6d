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
  metadata?: { resourceVersion?: string; continue?: string };
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

/** Pages of this many items by default (`get --chunk-size`, as kubectl's). */
export const DEFAULT_CHUNK_SIZE = 500;

/**
 * Every object of a kind, read in pages of `chunkSize` (0: one request) that the server
 * reads at the first page's revision: one consistent list, whose resourceVersion is that revision.
 */
export async function listObjects<T extends AnyResource = AnyResource>(
  client: StowageClient, kind: KindInfo, q: { namespace?: string; labelSelector?: string; chunkSize?: number } = {},
): Promise<List<T>> {
  const chunk = q.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let first: List<T> | undefined;
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await client.get<List<T>>(listPath(kind), {
      namespace: kind.namespaced ? q.namespace : undefined,
      labelSelector: q.labelSelector,
      limit: chunk > 0 ? chunk : undefined,
      continue: cont,
    });
    first ??= page;
    if (Array.isArray(page?.items)) items.push(...page.items);
    cont = chunk > 0 ? page?.metadata?.continue : undefined;
  } while (cont);
  const { continue: _last, ...metadata } = first?.metadata ?? {};
  return { ...first, kind: 'List', ...(first?.metadata ? { metadata } : {}), items };
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
