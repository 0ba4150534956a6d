/**
 * The agent API's request bodies, checked before anything is written: each
 * refusal names the field and the rule (400).
 */
import { ApiError } from '../../api/errors.js';
import type { NodeUsage, PortRange, Resources, TaskStatus } from '../../api/types.js';
import type { Registration } from '../../store/node-register.js';
import { MAX_STATUS_BATCH, type StatusWrite } from '../../store/task-status-batch.js';

const NAME = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;

export function bad(field: string, rule: string, message: string): ApiError {
  return new ApiError('BadRequest', `${field}: ${message}`, [{ field, rule, message }]);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, field: string): Record<string, unknown> {
  if (!isObj(v)) throw bad(field, 'type', 'must be an object');
  return v;
}

function str(v: unknown, field: string, max = 1024): string {
  if (typeof v !== 'string' || v === '' || v.length > max) throw bad(field, 'type', `must be a non-empty string of at most ${max} characters`);
  return v;
}

function num(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(field, 'minimum', 'must be a number >= 0');
  return v;
}

export function nodeName(v: unknown, field: string): string {
  const s = str(v, field, 253);
  if (!NAME.test(s)) throw bad(field, 'pattern', `"${s}" is not a node name`);
  return s;
}

/** A namespace or object name: one key segment. */
function segment(v: unknown, field: string): string {
  const s = str(v, field, 253);
  if (s.includes('/')) throw bad(field, 'pattern', `"${s}" is not a name (no "/")`);
  return s;
}

export function revision(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v)) throw bad(field, 'revision', 'must be a decimal etcd revision ("0": none)');
  return v;
}

/** POST /api/v1/agent/nodes/<node>/register */
export function parseRegistration(node: string, body: unknown): { reg: Registration; logSecret: string } {
  const b = obj(body, 'body');
  const cap = obj(b.capacity, 'capacity');
  const capacity: Resources = { cpus: num(cap.cpus, 'capacity.cpus'), mem: num(cap.mem, 'capacity.mem'), disk: num(cap.disk, 'capacity.disk') };
  if (!Array.isArray(b.portRanges) || b.portRanges.length > 64) throw bad('portRanges', 'type', 'must be a list of at most 64 {begin, end}');
  const portRanges: PortRange[] = b.portRanges.map((r, i) => {
    const o = obj(r, `portRanges[${i}]`);
    const begin = num(o.begin, `portRanges[${i}].begin`);
    const end = num(o.end, `portRanges[${i}].end`);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 1 || end > 65535 || begin > end) {
      throw bad(`portRanges[${i}]`, 'range', 'must be ports 1..65535 with begin <= end');
    }
    return { begin, end };
  });
  const attrs = obj(b.attributes ?? {}, 'attributes');
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) attributes[k] = typeof v === 'string' ? v : (() => { throw bad(`attributes.${k}`, 'type', 'must be a string'); })();
  if (b.driver !== 'docker' && b.driver !== 'sim') throw bad('driver', 'enum', 'must be docker or sim');
  const logSecret = str(b.logSecret, 'logSecret', 256);
  if (logSecret.length < 32) throw bad('logSecret', 'minLength', 'must be at least 32 characters');
  return {
    reg: { name: node, capacity, portRanges, attributes, address: str(b.address, 'address', 300), version: str(b.version, 'version', 100), driver: b.driver },
    logSecret,
  };
}

/** POST /api/v1/agent/sessions */
export function parseSession(body: unknown): { nodes: string[]; ttlSeconds: number; startedAt: string; version: string } {
  const b = obj(body, 'body');
  if (!Array.isArray(b.nodes) || b.nodes.length === 0 || b.nodes.length > 100_000) throw bad('nodes', 'type', 'must be a list of 1 to 100000 node names');
  const nodes = b.nodes.map((n, i) => nodeName(n, `nodes[${i}]`));
  const ttl = b.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 2 || ttl > 300) throw bad('ttlSeconds', 'range', 'must be an integer from 2 to 300');
  return { nodes, ttlSeconds: ttl, startedAt: str(b.startedAt, 'startedAt', 64), version: str(b.version, 'version', 100) };
}

/** POST /api/v1/agent/statuses */
export function parseStatusWrites(body: unknown): StatusWrite[] {
  const b = obj(body, 'body');
  if (!Array.isArray(b.items) || b.items.length === 0 || b.items.length > MAX_STATUS_BATCH) {
    throw bad('items', 'type', `must be a list of 1 to ${MAX_STATUS_BATCH} status writes`);
  }
  return b.items.map((it, i) => {
    const o = obj(it, `items[${i}]`);
    const status = obj(o.status, `items[${i}].status`) as unknown as TaskStatus;
    if (typeof status.state !== 'string') throw bad(`items[${i}].status.state`, 'required', 'must be a task state');
    return {
      uid: str(o.uid, `items[${i}].uid`, 100),
      namespace: segment(o.namespace, `items[${i}].namespace`),
      name: segment(o.name, `items[${i}].name`),
      status,
      revision: revision(o.revision, `items[${i}].revision`),
    };
  });
}

/** PUT /api/v1/agent/nodes/<node>/usage */
export function parseUsage(body: unknown): NodeUsage {
  const u = obj(obj(body, 'body').usage, 'usage');
  num(u.cpus, 'usage.cpus');
  num(u.memBytes, 'usage.memBytes');
  str(u.at, 'usage.at', 64);
  if (Number.isNaN(Date.parse(u.at as string))) throw bad('usage.at', 'format', 'must be an ISO 8601 time');
  obj(u.tasks, 'usage.tasks');
  return u as unknown as NodeUsage;
}
