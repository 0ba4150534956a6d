/** Where a Service's deployment stands, from the Service alone (pure). */
import type { Condition, Service } from '../../api/types.js';

export interface Progress {
  ref: string;
  desired: number;
  healthy: number;
  /** Healthy and past their readiness check; only for services with readiness checks. */
  ready?: number;
  running: number;
  state: string;
  revision?: number;
  /** The services loop has seen the latest spec (status.observedGeneration). */
  observed: boolean;
  done: boolean;
  failed: boolean;
  message?: string;
}

export function progressOf(svc: Service): Progress {
  const st = svc.status;
  const gen = svc.metadata.generation;
  const seen = st?.observedGeneration;
  // A server that does not report observedGeneration: trust the deployment state.
  const observed = gen === undefined || seen === undefined || seen >= gen;
  const desired = svc.spec?.instances ?? 0;
  const healthy = st?.healthy ?? 0;
  const state = st?.deployment?.state ?? 'pending';
  return {
    ref: `service/${svc.metadata.name}`,
    desired,
    healthy,
    ...((svc.spec?.readinessChecks?.length ?? 0) > 0 ? { ready: st?.ready ?? 0 } : {}),
    running: st?.running ?? 0,
    state: observed ? state : 'pending',
    revision: st?.deployment?.revision,
    observed,
    // healthy may briefly exceed desired while a surge replacement and the task it replaces overlap
    done: observed && state === 'complete' && healthy >= desired,
    failed: observed && state === 'failed',
    message: st?.deployment?.message,
  };
}

export function conditionLine(c: Condition): string {
  const why = [c.reason, c.message].filter(Boolean).join(': ');
  return `${c.type}=${c.status}${why ? ` (${why})` : ''}`;
}

/** One line, for plain output and for error messages. */
export function progressLine(p: Progress): string {
  const rev = p.revision !== undefined ? ` (revision ${p.revision})` : '';
  const ready = p.ready !== undefined ? `, ${p.ready} ready` : '';
  return `${p.ref}: ${p.healthy}/${p.desired} healthy${ready}, ${p.running} running, deployment ${p.state}${rev}`;
}
