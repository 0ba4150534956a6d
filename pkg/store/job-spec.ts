/**
 * A user's writes to a job's spec behind `job suspend` and `job resume`:
 * a compare-and-swap of the spec, computed from the current version and
 * computed again from the newer one if someone wrote it meanwhile. A job
 * already as asked is not written at all.
 *
 *   suspend: spec.suspend ──► true, spec.suspendNote ──► the note (or none)
 *   resume:  spec.suspend ──► false, spec.suspendNote removed
 */
import { ApiError, isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Job, JobSpec } from '../api/types.js';
import type { Store } from './store.js';

const JOB = lookupKind('Job')!;

export interface SpecWrite {
  job: Job;
  changed: boolean;
}

/** Write next(current) as the spec (undefined: leave it); returns the Job with its status as read. */
export async function writeJobSpec(store: Store, namespace: string | undefined, name: string, next: (cur: Job) => JobSpec | undefined): Promise<SpecWrite> {
  for (let attempt = 0; ; attempt++) {
    const cur = await store.get<Job>(JOB, namespace, name);
    if (!cur) throw new ApiError('NotFound', `job "${name}" not found in namespace "${namespace ?? 'default'}"`);
    const spec = next(cur.object);
    if (spec === undefined) return { job: cur.object, changed: false };
    const want: Job = { ...cur.object, spec };
    delete want.status;
    try {
      const updated = await store.update(JOB, want, cur, cur.specRev);
      return { job: { ...updated.object, status: cur.object.status }, changed: true };
    } catch (e) {
      // someone else wrote the job meanwhile: decide again on the new version
      if (attempt < 3 && isApiError(e, 'Conflict')) continue;
      throw e;
    }
  }
}

/** Suspend the job (no new runs; active ones go on), with why. */
export function suspendJob(store: Store, namespace: string | undefined, name: string, note?: string): Promise<SpecWrite> {
  return writeJobSpec(store, namespace, name, (j) => {
    if (j.spec.suspend === true && j.spec.suspendNote === note) return undefined;
    const { suspendNote: _old, ...spec } = j.spec;
    return { ...spec, suspend: true, ...(note !== undefined ? { suspendNote: note } : {}) };
  });
}

/** Resume the job: its schedule runs again (the loop's catch-up decides about slots passed meanwhile). */
export function resumeJob(store: Store, namespace: string | undefined, name: string): Promise<SpecWrite> {
  return writeJobSpec(store, namespace, name, (j) => {
    if (!j.spec.suspend && j.spec.suspendNote === undefined) return undefined;
    const { suspendNote: _old, ...spec } = j.spec;
    return { ...spec, suspend: false };
  });
}
