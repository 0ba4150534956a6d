/** From a Task resource to what the scheduler needs. */
import type { Task } from '../api/types.js';
import { taskKeyOf } from './snapshot.js';
import type { TaskRequest } from './types.js';

export function requestFromTask(t: Task): TaskRequest {
  const created = t.metadata.creationTimestamp ? Date.parse(t.metadata.creationTimestamp) : NaN;
  return {
    key: taskKeyOf(t),
    namespace: t.metadata.namespace ?? 'default',
    owner: t.spec.owner || undefined,
    resources: { cpus: t.spec.resources?.cpus ?? 0, mem: t.spec.resources?.mem ?? 0, disk: t.spec.resources?.disk ?? 0 },
    ports: t.spec.ports,
    constraints: t.spec.constraints,
    placement: t.spec.placement,
    priority: t.spec.priority ?? 0,
    created: Number.isFinite(created) ? created : 0,
  };
}

/**
 * A key for "same placement problem": two requests with the same key get
 * the same verdict from the same snapshot (ownerless requests differ only
 * in their own key, which no check reads).
 */
export function shapeKey(r: TaskRequest): string {
  const res = r.resources;
  let k = `${r.namespace}\0${r.owner ?? ''}\0${res.cpus}\0${res.mem}\0${res.disk}\0${r.placement ?? ''}`;
  if (r.ports) for (const p of r.ports) k += `\0p${p.hostPort ?? 0}`;
  if (r.constraints) for (const c of r.constraints) k += `\0c${c.join('\u0001')}`;
  return k;
}
