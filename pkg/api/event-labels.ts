/**
 * The labels an Event carries so the API's label selectors find it
 * (`stowctl events --for KIND/NAME`), in list and watch alike:
 *
 *   stowage/involved: task/hello-x1k2p   the object it is about (kind/name)
 *   stowage/service:  hello              that object is Service hello or one of its tasks
 *   stowage/job:      report             that object is Job report, one of its runs or their tasks
 *
 * so `-l stowage/service=hello` is the service's story: its rollouts and
 * scaling, and what happened to each of its tasks (scheduled, started,
 * unhealthy, killed, lost). A value longer than a label allows is left out.
 */
import type { AnyResource } from './types.js';
import { kindNames, lookupKind } from './kinds.js';
import { LABEL_VALUE_MAX, OWNER_LABEL, labelValueError } from './labels.js';

export const INVOLVED_LABEL = 'stowage/involved';
export const SERVICE_LABEL = 'stowage/service';
export const JOB_LABEL = 'stowage/job';

/** `task/hello-x1k2p`: the involved-object form of a kind and name. */
export function involvedRef(kind: string, name: string): string {
  return `${lookupKind(kind)?.singular ?? kind.toLowerCase()}/${name}`;
}

/** The labels of an Event about obj. */
export function eventLabels(obj: AnyResource): Record<string, string> {
  const l = obj.metadata.labels ?? {};
  const out: Record<string, string> = {};
  const put = (k: string, v: string | undefined) => {
    if (v !== undefined && v.length <= LABEL_VALUE_MAX && !labelValueError(v)) out[k] = v;
  };
  put(INVOLVED_LABEL, involvedRef(obj.kind, obj.metadata.name));
  const owner = l[OWNER_LABEL];
  if (obj.kind === 'Service') put(SERVICE_LABEL, obj.metadata.name);
  else if (owner?.startsWith('service/')) put(SERVICE_LABEL, owner.slice('service/'.length));
  if (obj.kind === 'Job') put(JOB_LABEL, obj.metadata.name);
  else if (l[JOB_LABEL]) put(JOB_LABEL, l[JOB_LABEL]);
  return out;
}

/**
 * The selector that finds the events explaining KIND/NAME: a service's or
 * a job's include those of everything it owns; any other object's are its own.
 */
export function eventSelectorFor(kind: string, name: string): string {
  const k = lookupKind(kind);
  if (!k) throw new Error(`unknown kind "${kind}"; known kinds: ${kindNames().join(', ')}`);
  if (k.kind === 'Service') return `${SERVICE_LABEL}=${name}`;
  if (k.kind === 'Job') return `${JOB_LABEL}=${name}`;
  return `${INVOLVED_LABEL}=${involvedRef(k.kind, name)}`;
}
