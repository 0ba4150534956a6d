/**
 * Feasibility: a request compiled once against the snapshot (field names
 * and values turned into ids, regexes into per-value verdict tables, the
 * owner's counts looked up), then one check per node that returns the first
 * failing reason as a small number — no strings, no allocation per node.
 *
 *   cpus -> mem -> disk -> fixed ports -> free ports -> constraints in order
 *
 * Node readiness is not checked here: only Ready, uncordoned nodes are in
 * the grid, and explain.ts names the others.
 */
import { checkConstraint, formatConstraint, type ParsedConstraint } from '../api/constraints.js';
import type { NodeInfo } from './node-info.js';
import { toMilli } from './node-info.js';
import type { OwnerState } from './owners.js';
import type { ClusterSnapshot } from './snapshot.js';
import type { TaskRequest } from './types.js';

export const OK = 0;
export const NOT_READY = 1;
export const CORDONED = 2;
export const NO_CPU = 3;
export const NO_MEM = 4;
export const NO_DISK = 5;
export const NO_PORTS = 6;
/** FIXED_PORT + i: the request's i-th fixed host port is taken or outside the node's ranges. */
export const FIXED_PORT = 100;
/** CONSTRAINT + i: the request's i-th constraint fails. */
export const CONSTRAINT = 1000;

const UNIQUE = 1;
const CLUSTER = 2;
const GROUP_BY = 3;
const LIKE = 4;
const UNLIKE = 5;
const MAX_PER = 6;
const IS = 7;
const OP_CODES: Record<string, number> = { UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS };

const EMPTY: Map<number, number> = new Map();

export interface CompiledConstraint {
  parsed: ParsedConstraint;
  label: string;
  op: number;
  field: number;
  /** CLUSTER, IS: the wanted value id (-1 = no node has it). */
  value: number;
  n: number;
  /** The owner's tasks per value of the field (live; empty without owner). */
  counts: Map<number, number>;
  /** LIKE, UNLIKE: value id -> 1 match, 2 no match, undefined = not yet tested. */
  match: (number | undefined)[];
  regex: RegExp | undefined;
  /** GROUP_BY: values holding at most this many of the owner's tasks pass. */
  threshold: number;
  /** GROUP_BY n: fewer than n values hold tasks yet, so only new values pass. */
  zeroOnly: boolean;
  /** GROUP_BY: the distinct task counts over values with schedulable nodes, ascending. */
  levels: number[];
}

export interface Compiled {
  req: TaskRequest;
  cpu: number;
  mem: number;
  disk: number;
  fixed: number[];
  dyn: number;
  cons: CompiledConstraint[];
  groupBy: CompiledConstraint[];
  owner: OwnerState | undefined;
  spread: boolean;
  /** Set when the request itself is invalid: nothing is checked. */
  error?: string;
}

/** Turn a request into ids and tables against this snapshot. */
export function compile(req: TaskRequest, s: ClusterSnapshot): Compiled {
  const r = req.resources;
  const owner = s.owner(req.namespace, req.owner);
  const c: Compiled = {
    req,
    cpu: toMilli(r.cpus),
    mem: r.mem || 0,
    disk: r.disk || 0,
    fixed: [],
    dyn: 0,
    cons: [],
    groupBy: [],
    owner,
    spread: req.placement === 'spread',
  };
  for (const p of req.ports ?? []) {
    if (p.hostPort) {
      if (c.fixed.includes(p.hostPort)) c.error = `host port ${p.hostPort} requested twice`;
      c.fixed.push(p.hostPort);
    } else c.dyn++;
  }
  for (const raw of req.constraints ?? []) {
    let parsed = s.memoByRef.get(raw) as ParsedConstraint | string | undefined;
    if (parsed === undefined) {
      const key = `c\0${raw.join('\0')}`;
      parsed = s.memo.get(key) as ParsedConstraint | string | undefined;
      if (parsed === undefined) {
        // Specs were validated on write; a bad one here (an old object, a
        // bare task) fails its placement with the validator's message.
        const r = checkConstraint(raw);
        parsed = r.ok ? r.parsed : `${formatConstraint(raw)}: ${r.message}`;
        s.memo.set(key, parsed);
      }
      if (typeof raw === 'object' && raw !== null) s.memoByRef.set(raw, parsed);
    }
    if (typeof parsed === 'string') {
      c.error = `invalid constraint: ${parsed}`;
      continue;
    }
    const field = s.fieldId(parsed.field);
    const op = OP_CODES[parsed.op]!;
    const cc: CompiledConstraint = {
      parsed,
      label: `constraint ${formatConstraint(parsed)}`,
      op,
      field,
      value: -1,
      n: parsed.n ?? 0,
      counts: owner ? owner.counts(field) : EMPTY,
      match: [],
      regex: parsed.regex,
      threshold: 0,
      zeroOnly: false,
      levels: [],
    };
    if (op === CLUSTER || op === IS) cc.value = parsed.value === undefined ? -1 : s.valueId(field, parsed.value);
    if (op === LIKE || op === UNLIKE) {
      const mk = `re\0${field}\0${parsed.value}`;
      let table = s.memo.get(mk) as (number | undefined)[] | undefined;
      if (!table) s.memo.set(mk, (table = []));
      cc.match = table;
    }
    c.cons.push(cc);
    if (op === GROUP_BY) c.groupBy.push(cc);
  }
  return c;
}

/** 0 when n can take the request, else the first failing check. */
export function check(n: NodeInfo, c: Compiled, s: ClusterSnapshot): number {
  if (n.freeCpu < c.cpu) return NO_CPU;
  if (n.freeMem < c.mem) return NO_MEM;
  if (n.freeDisk < c.disk) return NO_DISK;
  const fixed = c.fixed;
  if (fixed.length > 0 || c.dyn > 0) {
    for (let i = 0; i < fixed.length; i++) if (!n.ports.isFree(fixed[i]!)) return FIXED_PORT + i;
    if (n.ports.free - fixed.length < c.dyn) return NO_PORTS;
  }
  const cons = c.cons;
  for (let i = 0; i < cons.length; i++) if (!meets(n, cons[i]!, s)) return CONSTRAINT + i;
  return OK;
}

/** Marathon's meaning of each operator; a node lacking the field passes only UNLIKE. */
export function meets(n: NodeInfo, cc: CompiledConstraint, s: ClusterSnapshot): boolean {
  const v = n.attr(cc.field);
  if (v < 0) return cc.op === UNLIKE;
  switch (cc.op) {
    case UNIQUE:
      return !cc.counts.has(v);
    case MAX_PER:
      return (cc.counts.get(v) ?? 0) < cc.n;
    case IS:
      return v === cc.value;
    case CLUSTER:
      return v === cc.value;
    case LIKE:
      return matches(cc, v, s);
    case UNLIKE:
      return !matches(cc, v, s);
    case GROUP_BY:
      return cc.zeroOnly ? !cc.counts.has(v) : (cc.counts.get(v) ?? 0) <= cc.threshold;
  }
  return false;
}

function matches(cc: CompiledConstraint, v: number, s: ClusterSnapshot): boolean {
  let m = cc.match[v];
  if (m === undefined) {
    m = cc.regex!.test(s.value(cc.field, v)) ? 1 : 2;
    cc.match[v] = m;
  }
  return m === 1;
}

/** The reason a check code stands for, as users read it. */
export function reasonText(code: number, c: Compiled): string {
  if (code >= CONSTRAINT) return c.cons[code - CONSTRAINT]!.label;
  if (code >= FIXED_PORT) return `port ${c.fixed[code - FIXED_PORT]} unavailable`;
  switch (code) {
    case NOT_READY:
      return 'node not ready';
    case CORDONED:
      return 'node cordoned';
    case NO_CPU:
      return 'insufficient cpus';
    case NO_MEM:
      return 'insufficient mem';
    case NO_DISK:
      return 'insufficient disk';
    case NO_PORTS:
      return 'insufficient ports';
  }
  return 'unknown';
}

export const GROUP_BY_OP = GROUP_BY;
