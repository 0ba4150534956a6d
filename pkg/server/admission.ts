/**
 * The write-side guard of safe containers: a Service, Job, Task or JobRun
 * asking for a capability beyond the default or a host path must have its
 * Namespace allow it (spec.allowCapabilities, spec.allowHostPaths), else
 * the write is refused with 422 naming the field and the namespace's rule.
 *
 *   objects of the write ──asks for more?──► its Namespace (from the same batch, else stored)
 *                                            ──► securityDetails ──► Invalid, nothing written
 *
 * Writes that ask for nothing beyond the default read nothing. Only an admin
 * writes a Namespace (the authorization table); a Namespace in the same
 * apply batch counts as written, as the batch is written all or nothing.
 */
import { ApiError, type ErrorDetail } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import { describeObject } from '../api/names.js';
import { asksForMore, securityDetails } from '../api/security.js';
import type { AnyResource, JobRun, Namespace, NamespaceSpec, TaskTemplate } from '../api/types.js';
import { formatDetail, type ManifestErrorDetail } from '../api/validate.js';
import type { Store } from '../store/store.js';

const NAMESPACE = lookupKind('Namespace')!;

/** The template of an object that runs containers, and where it sits in the object. */
function templateOf(o: AnyResource): { t: TaskTemplate; base: string } | undefined {
  switch (o.kind) {
    case 'Service':
    case 'Job':
    case 'Task':
      return { t: o.spec as TaskTemplate, base: 'spec' };
    case 'JobRun':
      return { t: (o as JobRun).spec.template, base: 'spec.template' };
    default:
      return undefined;
  }
}

/** Throws Invalid naming each capability and host path the objects' namespaces do not allow (batch: `document N (Service "a"): ...`). */
export async function refuseDisallowed(store: Store, objs: readonly AnyResource[], batch: boolean): Promise<void> {
  const asking = objs.filter((o) => {
    const tpl = templateOf(o);
    return tpl !== undefined && asksForMore(tpl.t);
  });
  if (asking.length === 0) return;
  const specs = new Map<string, Partial<NamespaceSpec> | undefined>();
  for (const o of objs) if (o.kind === 'Namespace') specs.set(o.metadata.name, (o as Namespace).spec ?? {});
  for (const name of new Set(asking.map((o) => o.metadata.namespace ?? 'default'))) {
    if (!specs.has(name)) specs.set(name, (await store.get<Namespace>(NAMESPACE, undefined, name))?.object.spec);
  }
  const details: ErrorDetail[] = [];
  const failed = new Set<AnyResource>();
  for (const o of asking) {
    const { t, base } = templateOf(o)!;
    const ns = o.metadata.namespace ?? 'default';
    const found = securityDetails(t, base, ns, specs.get(ns));
    if (found.length > 0) failed.add(o);
    const object = describeObject(o);
    for (const d of found) {
      if (!batch) details.push(d);
      else {
        const document = objs.indexOf(o) + 1;
        details.push({ ...d, message: `document ${document} (${object}): ${formatDetail(d)}`, document, object } as ManifestErrorDetail);
      }
    }
  }
  if (details.length === 0) return;
  if (!batch) throw new ApiError('Invalid', `${describeObject([...failed][0])}: ${details.map(formatDetail).join('; ')}`, details);
  const n = objs.length;
  const summary = `${failed.size} of ${n} document${n === 1 ? '' : 's'} ${failed.size === 1 ? 'is' : 'are'} invalid: `;
  throw new ApiError('Invalid', summary + details.map((d) => d.message).join('; '), details);
}
