/**
 * Builders for the services loop's unit tests: a defaulted Service, tasks of
 * its template in any state, and a tiny world that plays a plan the way the
 * runner, the scheduler and an agent would (create -> Pending -> Running ->
 * Healthy; kill -> Killed), so a rollout can be stepped to its end.
 */
import { applyDefaults } from '../../api/defaults.js';
import { API_VERSION, TERMINAL_STATES, type Health, type Service, type ServiceSpec, type ServiceStatus, type Task, type TaskState } from '../../api/types.js';
import type { Plan } from './compute.js';
import { templateHash, templateOf } from '../../api/template.js';
import { HASH_LABEL, OWNER_LABEL } from '../../api/labels.js';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const at = (sec: number): string => new Date(T0 + sec * 1000).toISOString();

export function service(spec: Partial<ServiceSpec> = {}, status?: ServiceStatus, generation = 1): Service {
  const s = applyDefaults({
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', generation, creationTimestamp: at(0) },
    spec: { image: 'img', command: ['serve'], instances: 3, resources: { cpus: 0.1, mem: 32, disk: 0 }, ...spec },
  } as Service);
  if (status) s.status = status;
  return s;
}

export interface TaskOpts {
  name?: string;
  state?: TaskState;
  health?: Health;
  /** Creation time, seconds after T0. */
  created?: number;
  /** Bound to this node (default "n1" unless Pending); null = unbound. */
  node?: string | null;
  killing?: boolean;
  exitCode?: number;
  reason?: string;
  message?: string;
  finishedAt?: number;
  startedAt?: number;
  healthyAt?: number;
  consecutiveFailures?: number;
  pendingReason?: string;
  /** What the agent wrote for the readiness checks. */
  ready?: boolean;
  readyAt?: number;
  readinessMessage?: string;
}

let seq = 0;

/** A task of svc's current template (pass an older service for an old template). */
export function task(svc: Service, o: TaskOpts = {}): Task {
  const tpl = templateOf(svc.spec);
  const hash = templateHash(tpl);
  const state = o.state ?? 'Running';
  const node = o.node === null ? undefined : (o.node ?? (state === 'Pending' ? undefined : 'n1'));
  const name = o.name ?? `web-${String(++seq).padStart(5, '0')}`;
  return {
    apiVersion: API_VERSION,
    kind: 'Task',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: at(o.created ?? 0), labels: { [OWNER_LABEL]: 'service/web', [HASH_LABEL]: hash } },
    spec: { ...tpl, owner: 'service/web', ownerUid: 'svc-uid', templateHash: hash, ...(o.killing ? { desiredState: 'Killed' as const } : {}) },
    status: {
      state,
      ...(node ? { nodeName: node } : {}),
      ...(o.health ? { health: o.health } : {}),
      ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.message ? { message: o.message } : {}),
      ...(o.finishedAt !== undefined ? { finishedAt: at(o.finishedAt) } : {}),
      ...(state === 'Running' ? { startedAt: at(o.startedAt ?? o.created ?? 0) } : {}),
      ...(o.healthyAt !== undefined ? { healthyAt: at(o.healthyAt) } : o.health === 'Healthy' ? { healthyAt: at(o.created ?? 0) } : {}),
      ...(o.consecutiveFailures !== undefined ? { consecutiveFailures: o.consecutiveFailures } : {}),
      ...(o.pendingReason ? { pendingReason: o.pendingReason } : {}),
      ...(o.ready !== undefined ? { ready: o.ready } : {}),
      ...(o.readyAt !== undefined ? { readyAt: at(o.readyAt) } : o.ready ? { readyAt: at(o.created ?? 0) } : {}),
      ...(o.readinessMessage ? { readinessMessage: o.readinessMessage } : {}),
    },
  };
}

export const names = (ts: readonly { task: Task }[] | readonly Task[]): string[] =>
  ts.map((x) => ('task' in x ? x.task : x).metadata.name);

export const isTerminal = (t: Task): boolean => TERMINAL_STATES.has(t.status?.state ?? 'Pending');

/** Apply a plan to a list of tasks as the runner would: delete ended, kill, create Pending. */
export function play(svc: Service, world: readonly Task[], plan: Plan, now: number): Task[] {
  const gone = new Set(plan.remove.map((r) => r.task.metadata.name));
  const killed = new Set(plan.kill.map((k) => k.task.metadata.name));
  const out: Task[] = [];
  for (const t of world) {
    if (gone.has(t.metadata.name)) continue;
    if (!killed.has(t.metadata.name)) out.push(t);
    else if (t.status?.nodeName) out.push({ ...t, spec: { ...t.spec, desiredState: 'Killed' } });
  }
  for (let i = 0; i < plan.create.count; i++) {
    out.push(task(svc, { state: 'Pending', created: (now - T0) / 1000 }));
  }
  return out;
}

/**
 * One tick of the rest of the cluster: kills end, Pending tasks start,
 * Running tasks pass their health checks and their readiness checks (those
 * `ready` lets pass, in this tick). `slow` names tasks that take an extra
 * tick at each step (to shuffle the order things become ready in).
 */
export function advance(
  world: readonly Task[],
  now: number,
  slow: (t: Task) => boolean = () => false,
  healthy: (t: Task) => boolean = () => true,
  ready: (t: Task) => boolean = () => true,
): Task[] {
  const iso = new Date(now).toISOString();
  return world.map((t) => {
    const st = t.status ?? { state: 'Pending' as const };
    if (isTerminal(t)) return t;
    if (slow(t)) return t;
    if (t.spec.desiredState === 'Killed') return { ...t, status: { ...st, state: 'Killed', finishedAt: iso } };
    if (st.state === 'Pending') {
      const checks = { ...(t.spec.healthChecks?.length ? { health: 'Unknown' as const } : {}), ...(t.spec.readinessChecks?.length ? { ready: false } : {}) };
      return { ...t, status: { ...st, state: 'Running', nodeName: 'n1', startedAt: iso, ...checks } };
    }
    if (st.state !== 'Running') return t;
    let next = st;
    if (t.spec.healthChecks?.length && st.health !== 'Healthy' && healthy(t)) next = { ...next, health: 'Healthy', healthyAt: iso };
    if (t.spec.readinessChecks?.length && !st.ready && ready(t)) next = { ...next, ready: true, readyAt: iso };
    return next === st ? t : { ...t, status: next };
  });
}
