/**
 * Endpoints as the proxy receives them over the wire: checked field by field
 * before anything uses them, since a watch stream may carry anything (a
 * server of another version, a broken intermediary). A bad object is
 * refused with the path of the first bad field; the caller logs it, counts
 * it and carries on with what it had.
 */
import type { EndpointAddress, EndpointPort, Endpoints } from '../api/types.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** `namespace/name`: the key of one service's Endpoints. */
export const endpointsKey = (e: { metadata: { namespace: string; name: string } }): string => `${e.metadata.namespace}/${e.metadata.name}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 253;

class Bad extends Error {}
const need = (cond: boolean, path: string, rule: string): void => {
  if (!cond) throw new Bad(`${path}: ${rule}`);
};

function metadata(v: unknown): { namespace: string; name: string } {
  need(isObject(v), 'metadata', 'must be an object');
  const m = v as Record<string, unknown>;
  need(isName(m.namespace), 'metadata.namespace', 'must be a non-empty string');
  need(isName(m.name), 'metadata.name', 'must be a non-empty string');
  return { namespace: m.namespace as string, name: m.name as string };
}

function address(v: unknown, path: string): EndpointAddress {
  need(isObject(v), path, 'must be an object');
  const a = v as Record<string, unknown>;
  need(typeof a.host === 'string' && a.host.length > 0 && a.host.length <= 253, `${path}.host`, 'must be a non-empty string');
  need(isPort(a.port), `${path}.port`, 'must be a whole number from 1 to 65535');
  need(typeof a.task === 'string', `${path}.task`, 'must be a string');
  need(typeof a.node === 'string', `${path}.node`, 'must be a string');
  return { host: a.host as string, port: a.port as number, task: a.task as string, node: a.node as string };
}

function port(v: unknown, path: string): EndpointPort {
  need(isObject(v), path, 'must be an object');
  const p = v as Record<string, unknown>;
  need(isName(p.name), `${path}.name`, 'must be a non-empty string');
  need(p.servicePort === undefined || p.servicePort === null || p.servicePort === 0 || isPort(p.servicePort), `${path}.servicePort`, 'must be a whole number from 1 to 65535 when set');
  need(Array.isArray(p.addresses), `${path}.addresses`, 'must be an array');
  const out: EndpointPort = { name: p.name as string, addresses: (p.addresses as unknown[]).map((a, i) => address(a, `${path}.addresses[${i}]`)) };
  // 0 means "not assigned yet" on the way to the allocator: no port to listen on
  if (isPort(p.servicePort)) out.servicePort = p.servicePort;
  return out;
}

/** A whole Endpoints object (ADDED, MODIFIED, or an item of the list). */
export function parseEndpoints(v: unknown): Parsed<Endpoints> {
  try {
    need(isObject(v), '(root)', 'must be an object');
    const o = v as Record<string, unknown>;
    need(o.kind === undefined || o.kind === 'Endpoints', 'kind', `must be "Endpoints"`);
    const meta = metadata(o.metadata);
    need(Array.isArray(o.ports), 'ports', 'must be an array');
    const ports = (o.ports as unknown[]).map((p, i) => port(p, `ports[${i}]`));
    return { ok: true, value: { apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : 'stowage/v1', kind: 'Endpoints', metadata: meta, ports } };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: e.message };
    throw e;
  }
}

/** What a DELETED event needs: whose Endpoints went. */
export function parseDeleted(v: unknown): Parsed<{ namespace: string; name: string }> {
  try {
    need(isObject(v), '(root)', 'must be an object');
    return { ok: true, value: metadata((v as Record<string, unknown>).metadata) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: e.message };
    throw e;
  }
}

/** JSON text -> value, or the parser's complaint. */
export function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}
