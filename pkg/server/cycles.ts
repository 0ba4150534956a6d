/**
 * The write-side guard against dependency cycles: the Services a write
 * carries, laid over those already stored in their namespaces, must not
 * close a cycle. Only a service with dependencies can close one, so writes
 * without any read nothing.
 */
import { cycleMessage, dependencyCycle } from '../api/dependencies.js';
import { ApiError, type ErrorDetail } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource, Service } from '../api/types.js';
import { describeObject } from '../api/names.js';
import type { ManifestErrorDetail } from '../api/validate.js';
import type { Store } from '../store/store.js';

const SERVICE = lookupKind('Service')!;

/** Throws Invalid naming each cycle the written objects would close (batch: `document N (Service "a"): ...`). */
export async function refuseDependencyCycles(store: Store, objs: readonly AnyResource[], batch: boolean): Promise<void> {
  const services = objs.filter((o): o is Service => o.kind === 'Service');
  const namespaces = [...new Set(services.filter((s) => s.spec.dependencies?.length).map((s) => s.metadata.namespace ?? 'default'))];
  if (namespaces.length === 0) return;
  const details: ErrorDetail[] = [];
  const reported = new Set<string>();
  for (const ns of namespaces) {
    const deps = new Map<string, readonly string[]>();
    for (const s of (await store.list<Service>(SERVICE, ns)).items) deps.set(s.object.metadata.name, s.object.spec.dependencies ?? []);
    const mine = services.filter((s) => (s.metadata.namespace ?? 'default') === ns);
    for (const s of mine) deps.set(s.metadata.name, s.spec.dependencies ?? []);
    for (const s of mine) {
      if (!s.spec.dependencies?.length) continue;
      const cycle = dependencyCycle(s.metadata.name, (n) => deps.get(n));
      if (!cycle) continue;
      const members = `${ns}/${[...new Set(cycle)].sort().join(',')}`;
      if (reported.has(members)) continue;
      reported.add(members);
      const object = describeObject(s);
      const message = `spec.dependencies: ${cycleMessage(cycle)}`;
      if (!batch) details.push({ field: 'spec.dependencies', rule: 'acyclic', message: `${object}: ${message}` });
      else {
        const document = objs.indexOf(s) + 1;
        details.push({ field: 'spec.dependencies', rule: 'acyclic', message: `document ${document} (${object}): ${message}`, document, object } as ManifestErrorDetail);
      }
    }
  }
  if (details.length === 0) return;
  const summary = batch ? `${details.length} of ${objs.length} document${objs.length === 1 ? '' : 's'} ${details.length === 1 ? 'is' : 'are'} invalid: ` : '';
  throw new ApiError('Invalid', summary + details.map((d) => d.message).join('; '), details);
}
