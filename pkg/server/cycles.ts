/**
 * The write-side guard against dependency cycles: the Services and Jobs a
 * write carries, laid over those already stored in their namespaces, must
 * not close a cycle (a Service's dependencies and a Job's parents are one
 * graph). Only an object with edges can close one, so writes without any
 * read nothing.
 */
import { cycleMessage, dependencyCycle, edgesOf, nodeKeyOf } from '../api/dependencies.js';
import { ApiError, type ErrorDetail } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource, Job, Service } from '../api/types.js';
import { describeObject } from '../api/names.js';
import type { ManifestErrorDetail } from '../api/validate.js';
import type { Store } from '../store/store.js';

const SERVICE = lookupKind('Service')!;
const JOB = lookupKind('Job')!;

const inGraph = (o: AnyResource): o is Service | Job => o.kind === 'Service' || o.kind === 'Job';
const fieldOf = (o: AnyResource) => (o.kind === 'Job' ? 'spec.parents' : 'spec.dependencies');

/** Throws Invalid naming each cycle the written objects would close (batch: `document N (Service "a"): ...`). */
export async function refuseDependencyCycles(store: Store, objs: readonly AnyResource[], batch: boolean): Promise<void> {
  const written = objs.filter(inGraph);
  const namespaces = [...new Set(written.filter((o) => edgesOf(o).length > 0).map((o) => o.metadata.namespace ?? 'default'))];
  if (namespaces.length === 0) return;
  const details: ErrorDetail[] = [];
  const reported = new Set<string>();
  for (const ns of namespaces) {
    const edges = new Map<string, readonly string[]>();
    for (const kind of [SERVICE, JOB]) for (const s of (await store.list(kind, ns)).items) edges.set(nodeKeyOf(s.object), edgesOf(s.object));
    const mine = written.filter((o) => (o.metadata.namespace ?? 'default') === ns);
    for (const o of mine) edges.set(nodeKeyOf(o), edgesOf(o));
    for (const o of mine) {
      if (edgesOf(o).length === 0) continue;
      const cycle = dependencyCycle(nodeKeyOf(o), (n) => edges.get(n));
      if (!cycle) continue;
      const members = `${ns}/${[...new Set(cycle)].sort().join(',')}`;
      if (reported.has(members)) continue;
      reported.add(members);
      const object = describeObject(o);
      const field = fieldOf(o);
      const message = `${field}: ${cycleMessage(cycle)}`;
      if (!batch) details.push({ field, rule: 'acyclic', message: `${object}: ${message}` });
      else {
        const document = objs.indexOf(o) + 1;
        details.push({ field, rule: 'acyclic', message: `document ${document} (${object}): ${message}`, document, object } as ManifestErrorDetail);
      }
    }
  }
  if (details.length === 0) return;
  const summary = batch ? `${details.length} of ${objs.length} document${objs.length === 1 ? '' : 's'} ${details.length === 1 ? 'is' : 'are'} invalid: ` : '';
  throw new ApiError('Invalid', summary + details.map((d) => d.message).join('; '), details);
}
