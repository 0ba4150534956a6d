/**
 * Pieces every describe body is made of: a titled section of fields, a
 * task template, conditions, a time with its age.
 */
import { envDisplay } from '../../api/secrets.js';
import type { Condition, HealthCheck, ReadinessCheck, Resources, TaskTemplate } from '../../api/types.js';
import { age } from './age.js';
import { num } from './columns.js';
import { commandLine, fields, indent, mapLines, type Field } from './fields.js';
import { renderTable } from './table.js';

export const res = (r: Partial<Resources> | undefined) =>
  r ? (['cpus', 'mem', 'disk'] as const).filter((k) => r[k] !== undefined).map((k) => `${k}=${num(r[k])}`).join(' ') : undefined;

export const when = (ts: string | undefined, now: Date) => (ts ? `${ts} (${age(ts, now)} ago)` : undefined);

function healthCheck(h: HealthCheck): string {
  const target = h.protocol === 'COMMAND' ? commandLine(h.command) : `port=${h.port ?? h.portIndex ?? 0}${h.path ? ` path=${h.path}` : ''}`;
  return `${h.protocol} ${target} grace=${h.gracePeriodSeconds}s interval=${h.intervalSeconds}s timeout=${h.timeoutSeconds}s maxFailures=${h.maxConsecutiveFailures}`;
}

function readinessCheck(r: ReadinessCheck): string {
  return `${r.name ? `${r.name}: ` : ''}${r.protocol} port=${r.port} path=${r.path} interval=${r.intervalSeconds}s timeout=${r.timeoutSeconds}s ready=${r.httpStatusCodesForReady?.join(',')}`;
}

export function template(t: Partial<TaskTemplate> | undefined): Field[] {
  if (!t) return [];
  return [
    ['Image', t.image],
    ['Command', commandLine(t.command)],
    ['Args', commandLine(t.args)],
    ['Env', t.env && Object.keys(t.env).length ? mapLines(Object.fromEntries(Object.entries(t.env).map(([k, v]) => [k, envDisplay(v)]))) : undefined],
    ['Resources', res(t.resources)],
    ['Ports', t.ports?.length ? t.ports.map((p) => `${p.hostPort ? `${p.name}:${p.hostPort}` : p.name}${p.servicePort ? ` (service port ${p.servicePort})` : ''}`).join(', ') : undefined],
    ['Constraints', t.constraints?.length ? t.constraints.map((c) => c.join(' ')).join('\n') : undefined],
    ['Health Checks', t.healthChecks?.length ? t.healthChecks.map(healthCheck).join('\n') : undefined],
    ['Readiness Checks', t.readinessChecks?.length ? t.readinessChecks.map(readinessCheck).join('\n') : undefined],
    ['Placement', t.placement],
    ['Priority', t.priority],
    ['User', t.user],
    ['Read-Only Root', t.readOnlyRootFilesystem || undefined],
    ['Capabilities', t.capabilities?.add?.length ? `+${t.capabilities.add.join(', +')}` : undefined],
    ['Volumes', t.volumes?.length ? t.volumes.map((v) => `${v.hostPath} -> ${v.containerPath}${v.readOnly ? ' (read-only)' : ''}`).join('\n') : undefined],
  ];
}

export function conditions(cs: Condition[] | undefined): string {
  if (!cs?.length) return '';
  const rows = cs.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']);
  return 'Conditions:\n' + indent(renderTable(['TYPE', 'STATUS', 'REASON', 'MESSAGE', 'LAST TRANSITION'], rows));
}

export function section(title: string, f: Field[]): string {
  const body = fields(f, 2);
  return body ? `${title}:\n${body}` : '';
}

