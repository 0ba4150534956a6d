/** What describe shows beside an object: its tasks, runs and events. */
import { lookupKind } from '../api/kinds.js';
import { OWNER_LABEL } from '../api/labels.js';
import type { AnyResource, Event, JobRun, Task } from '../api/types.js';
import type { StowageClient } from './client.js';
import { listObjects } from './objects.js';

const TASK = lookupKind('Task')!;
const JOBRUN = lookupKind('JobRun')!;
const EVENT = lookupKind('Event')!;

/** Does this event concern this object (and not an older one of the same name)? */
export function involves(e: Event, o: AnyResource): boolean {
  const io = e.spec?.involvedObject;
  if (!io || io.name !== o.metadata.name) return false;
  if (lookupKind(io.kind)?.kind !== o.kind) return false;
  const kind = lookupKind(o.kind);
  if (kind?.namespaced && (io.namespace ?? e.metadata.namespace) !== o.metadata.namespace) return false;
  if (io.uid && o.metadata.uid && io.uid !== o.metadata.uid) return false;
  return true;
}

export async function eventsFor(client: StowageClient, o: AnyResource): Promise<Event[]> {
  const namespaced = lookupKind(o.kind)?.namespaced ?? true;
  // Events about cluster-scoped objects may sit in any namespace.
  const list = await listObjects<Event>(client, EVENT, { namespace: namespaced ? o.metadata.namespace : undefined });
  return list.items.filter((e) => involves(e, o));
}

export async function tasksOfOwner(client: StowageClient, namespace: string | undefined, owner: string): Promise<Task[]> {
  const list = await listObjects<Task>(client, TASK, { namespace, labelSelector: `${OWNER_LABEL}=${owner}` });
  return list.items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

export async function runsOfJob(client: StowageClient, namespace: string | undefined, job: string): Promise<JobRun[]> {
  const list = await listObjects<JobRun>(client, JOBRUN, { namespace, labelSelector: `stowage/job=${job}` });
  return list.items.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
}
