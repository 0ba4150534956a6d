/** Derived views of the store: what belongs to what, sorted as people read it. */
import type { Event, Job, JobRun, Node, Service, Task } from '../../pkg/api/types.js';
import type { Store } from './store.js';

const byName = <T extends { metadata: { namespace?: string; name: string } }>(a: T, b: T) =>
  (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name);

export const services = (s: Store) => (s.list('services') as Service[]).sort(byName);
export const jobs = (s: Store) => (s.list('jobs') as Job[]).sort(byName);
export const nodes = (s: Store) => (s.list('nodes') as Node[]).sort(byName);

export const TERMINAL = new Set(['Succeeded', 'Failed', 'Killed', 'Lost']);

export function tasksOf(s: Store, ownerKind: string, ns: string, name: string): Task[] {
  const owner = `${ownerKind}/${name}`;
  return (s.list('tasks') as Task[])
    .filter((t) => t.spec.owner === owner && (t.metadata.namespace ?? 'default') === ns)
    .sort((a, b) => Number(TERMINAL.has(a.status?.state ?? '')) - Number(TERMINAL.has(b.status?.state ?? '')) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
}

export function runsOf(s: Store, ns: string, job: string): JobRun[] {
  return (s.list('jobruns') as JobRun[])
    .filter((r) => r.metadata.labels?.['stowage/job'] === job && (r.metadata.namespace ?? 'default') === ns)
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || b.metadata.name.localeCompare(a.metadata.name));
}

const when = (e: Event) => e.spec.lastTimestamp ?? e.spec.firstTimestamp ?? e.metadata.creationTimestamp ?? '';

/** Newest first. */
export function events(s: Store, filter: (e: Event) => boolean = () => true, limit = 200): Event[] {
  return (s.list('events') as Event[]).filter(filter).sort((a, b) => when(b).localeCompare(when(a))).slice(0, limit);
}
export const eventTime = when;

export function eventsFor(s: Store, kind: string, ns: string, name: string, limit = 50): Event[] {
  return events(s, (e) => e.spec.involvedObject.kind === kind && e.spec.involvedObject.name === name && (e.spec.involvedObject.namespace ?? ns) === ns, limit);
}

export function tasksByState(s: Store): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of s.list('tasks') as Task[]) {
    const st = t.status?.state ?? 'Pending';
    m.set(st, (m.get(st) ?? 0) + 1);
  }
  return m;
}
