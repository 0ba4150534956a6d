/**
 * The columns `stowctl get` prints for each kind; `-o wide` adds a few.
 * Jobs and JobRuns have theirs in jobs.ts.
 */
import type { AnyResource, Event, Namespace, Node, Resources, Secret, Service, Task } from '../../api/types.js';
import { OWNER_LABEL } from '../../api/labels.js';
import { refOf } from '../kinds.js';
import { age } from './age.js';
import { jobColumns, jobRunColumns } from './jobs.js';

export interface Columns {
  header: string[];
  cells(obj: AnyResource, now: Date): string[];
  wideHeader: string[];
  wideCells(obj: AnyResource, now: Date): string[];
}

export const NONE = '<none>';

/** 0.30000000000000004 -> "0.3". */
export function num(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '0';
  return String(Math.round(n * 1000) / 1000);
}

const or = (s: string | number | undefined | null, fallback = NONE) =>
  s === undefined || s === null || s === '' ? fallback : String(s);

const services: Columns = {
  header: ['NAME', 'INSTANCES', 'RUNNING', 'HEALTHY', 'DEPLOYMENT', 'AGE'],
  cells: (o, now) => {
    const s = o as Service;
    return [
      s.metadata.name, num(s.spec?.instances), num(s.status?.running), num(s.status?.healthy),
      or(s.status?.deployment?.state), age(s.metadata.creationTimestamp, now),
    ];
  },
  // READY: healthy and past the readiness check, for services that have one
  wideHeader: ['READY', 'IMAGE', 'REVISION', 'SERVICE-PORTS'],
  wideCells: (o) => {
    const s = o as Service;
    return [s.spec?.readinessChecks?.length ? num(s.status?.ready) : NONE, or(s.spec?.image), or(s.status?.deployment?.revision), servicePorts(s)];
  },
};

/** `http:10080,admin:10081`: each port that has a service port. */
export function servicePorts(s: Service): string {
  const p = (s.spec?.ports ?? []).filter((x) => x.servicePort);
  return p.length ? p.map((x) => `${x.name}:${x.servicePort}`).join(',') : NONE;
}

export function taskPorts(t: Task): string {
  const p = Object.entries(t.status?.ports ?? {});
  return p.length ? p.map(([k, v]) => `${k}:${v}`).join(',') : NONE;
}

export function taskOwner(t: Task): string | undefined {
  return t.spec?.owner || t.metadata.labels?.[OWNER_LABEL];
}

const tasks: Columns = {
  header: ['NAME', 'STATE', 'HEALTH', 'NODE', 'PORTS', 'AGE'],
  cells: (o, now) => {
    const t = o as Task;
    return [
      t.metadata.name, or(t.status?.state, 'Pending'), or(t.status?.health), or(t.status?.nodeName),
      taskPorts(t), age(t.metadata.creationTimestamp, now),
    ];
  },
  wideHeader: ['OWNER', 'CONTAINER', 'REASON'],
  wideCells: (o) => {
    const t = o as Task;
    return [or(taskOwner(t)), or(t.status?.containerId?.slice(0, 12)), or(t.status?.reason ?? t.status?.pendingReason)];
  },
};

export function nodeState(n: Node): string {
  const state = n.status?.state ?? 'Unknown';
  return n.spec?.unschedulable || n.status?.cordoned ? `${state},SchedulingDisabled` : state;
}

function usage(n: Node, field: keyof Resources): string {
  const cap = n.status?.capacity ?? n.spec?.capacity;
  return `${num(n.status?.allocated?.[field])}/${num(cap?.[field])}`;
}

const nodes: Columns = {
  header: ['NAME', 'STATE', 'CPUS', 'MEM', 'DISK', 'TASKS', 'AGE'],
  cells: (o, now) => {
    const n = o as Node;
    return [
      n.metadata.name, nodeState(n), usage(n, 'cpus'), usage(n, 'mem'), usage(n, 'disk'),
      String(Object.keys(n.status?.tasks ?? {}).length), age(n.metadata.creationTimestamp, now),
    ];
  },
  wideHeader: ['ADDRESS', 'VERSION', 'DRIVER'],
  wideCells: (o) => {
    const n = o as Node;
    return [or(n.spec?.address), or(n.spec?.version), or(n.spec?.driver)];
  },
};

export function quota(q: Partial<Resources> | undefined): string {
  const parts = (['cpus', 'mem', 'disk'] as const).filter((k) => q?.[k] !== undefined).map((k) => `${k}=${num(q![k])}`);
  return parts.length ? parts.join(',') : NONE;
}

const namespaces: Columns = {
  header: ['NAME', 'WEIGHT', 'QUOTA', 'AGE'],
  cells: (o, now) => {
    const n = o as Namespace;
    return [n.metadata.name, num(n.spec?.weight ?? 1), quota(n.spec?.quota), age(n.metadata.creationTimestamp, now)];
  },
  wideHeader: ['ALLOCATED', 'SHARE'],
  wideCells: (o) => {
    const n = o as Namespace;
    return [quota(n.status?.allocated), or(n.status?.dominantShare === undefined ? undefined : num(n.status.dominantShare))];
  },
};

export function eventTime(e: Event): string | undefined {
  return e.spec?.lastTimestamp ?? e.spec?.firstTimestamp ?? e.metadata.creationTimestamp;
}

const events: Columns = {
  header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'COUNT', 'MESSAGE'],
  cells: (o, now) => {
    const e = o as Event;
    const io = e.spec?.involvedObject;
    return [
      age(eventTime(e), now), or(e.spec?.type), or(e.spec?.reason),
      io ? refOf(io.kind, io.name) : NONE, String(e.spec?.count ?? 1), (e.spec?.message ?? '').replace(/\s*\n\s*/g, ' '),
    ];
  },
  wideHeader: ['SOURCE', 'FIRST SEEN'],
  wideCells: (o, now) => {
    const e = o as Event;
    return [or(e.spec?.source), age(e.spec?.firstTimestamp ?? e.metadata.creationTimestamp, now)];
  },
};

/** A Secret's keys, sorted: the API never shows their values here. */
export function secretKeys(s: Secret): string[] {
  return Object.keys(s.data ?? {}).sort();
}

const secrets: Columns = {
  header: ['NAME', 'DATA', 'KEYS', 'AGE'],
  cells: (o, now) => {
    const s = o as unknown as Secret;
    const keys = secretKeys(s);
    return [s.metadata.name, String(keys.length), keys.length ? keys.join(',') : NONE, age(s.metadata.creationTimestamp, now)];
  },
  wideHeader: [],
  wideCells: () => [],
};

const generic: Columns = {
  header: ['NAME', 'AGE'],
  cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
  wideHeader: [],
  wideCells: () => [],
};

const BY_KIND: Record<string, Columns> = {
  Service: services, Task: tasks, Node: nodes, Job: jobColumns, JobRun: jobRunColumns, Namespace: namespaces, Event: events, Secret: secrets,
};

export function columnsFor(kind: string): Columns {
  return BY_KIND[kind] ?? generic;
}

/** Header and a row function for a kind, with `-o wide` and `-A` applied. */
export function tableFor(kind: string, opts: { wide?: boolean; namespaceColumn?: boolean }) {
  const c = columnsFor(kind);
  // Events put the message last; wide columns go before it, so it can run long.
  const wideBeforeLast = kind === 'Event';
  const join = (base: string[], extra: string[]) =>
    !opts.wide ? base : wideBeforeLast ? [...base.slice(0, -1), ...extra, base[base.length - 1]!] : [...base, ...extra];
  const header = [...(opts.namespaceColumn ? ['NAMESPACE'] : []), ...join(c.header, c.wideHeader)];
  const row = (o: AnyResource, now: Date) => [
    ...(opts.namespaceColumn ? [o.metadata.namespace ?? ''] : []),
    ...join(c.cells(o, now), opts.wide ? c.wideCells(o, now) : []),
  ];
  return { header, row };
}
