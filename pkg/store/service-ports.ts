/**
 * Service port claims in etcd: one key per port, /stowage/serviceports/<port>,
 * whose value names its holder ({namespace, name, port}). A claim is written
 * in the same transaction as the spec that lists the port (api/service-ports.ts
 * plans which), so a port has one holder whatever races:
 *
 *   claim    create-if-absent + put        (a new port)
 *   take     compare mod revision + put    (a port another service of the same write gives up)
 *   release  delete                        (the spec no longer lists it; the spec's own
 *                                           compare-and-swap guards it)
 *
 * Deleting a Service releases its ports (Store.addRemove deletes their keys).
 */
import { ApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Claim, PortHolder, PortOps } from '../api/service-ports.js';
import { planServicePorts } from '../api/service-ports.js';
import type { PortRange, PortSpec, Service } from '../api/types.js';
import { unavailable } from './errors.js';
import { SERVICE_PORT_PREFIX, servicePortKey, specKey } from './keys.js';
import { conflictError, Store, type Stored } from './store.js';
import type { Txn } from './txn.js';
import { jitteredDelay } from '../util/backoff.js';

/**
 * Most times a write plans its service ports again after losing a claim to a
 * concurrent write. Each loss is another writer's success, so N writers racing
 * for the lowest free port lose at most N-1 times each.
 */
export const MAX_PORT_RACES = 32;

export const encodeHolder = (h: PortHolder): string => JSON.stringify({ namespace: h.namespace, name: h.name, port: h.port });

function decodeHolder(v: string): PortHolder {
  try {
    const o = JSON.parse(v) as Partial<PortHolder>;
    return { namespace: String(o.namespace ?? '?'), name: String(o.name ?? '?'), port: String(o.port ?? '?') };
  } catch {
    return { namespace: '?', name: v, port: '?' };
  }
}

/** Every claim in the cluster, by port (one range read). */
export async function readClaims(store: Store): Promise<Map<number, Claim>> {
  let kvs;
  try {
    kvs = (await store.client.getAll().prefix(SERVICE_PORT_PREFIX).exec()).kvs;
  } catch (e) {
    throw unavailable(e);
  }
  const out = new Map<number, Claim>();
  for (const kv of kvs) {
    const port = Number(kv.key.toString().slice(SERVICE_PORT_PREFIX.length));
    if (Number.isInteger(port)) out.set(port, { holder: decodeHolder(kv.value.toString()), rev: String(kv.mod_revision) });
  }
  return out;
}

/** Add one item's claim operations to txn. */
export function addPortOps(txn: Txn, ops: PortOps): void {
  for (const c of ops.claim) txn.ifAbsent(servicePortKey(c.port)).put(servicePortKey(c.port), encodeHolder(c.holder));
  for (const c of ops.take) txn.ifModRev(servicePortKey(c.port), c.rev).put(servicePortKey(c.port), encodeHolder(c.holder));
  for (const p of ops.release) txn.del(servicePortKey(p));
}

const SERVICE = lookupKind('Service')!;

/** Whether a spec has any service port (0 included: one to assign). */
export const hasServicePorts = (spec: { ports?: readonly PortSpec[] } | undefined): boolean => !!spec?.ports?.some((p) => p.servicePort !== undefined);

export interface ServiceWrite {
  /** The Service to write (validated, defaulted, server-owned fields settled). */
  want: Service;
  /** The stored version, for an update; absent for a create. */
  cur?: Stored<Service>;
  /** The spec revision the update is conditional on (default: cur's). */
  expectedRev?: string;
  range: PortRange;
}

/**
 * Create or update one Service together with its service port claims, in
 * one transaction. A claim that lost a race (someone took a port, or the
 * lowest free one, meanwhile) plans again with fresh claims; a taken
 * explicit port then answers 409 naming its holder.
 */
export async function writeServiceWithPorts(store: Store, w: ServiceWrite): Promise<Stored<Service>> {
  const m = w.want.metadata;
  const ns = m.namespace ?? 'default';
  const key = specKey(SERVICE, ns, m.name);
  for (let attempt = 0; ; attempt++) {
    const claims = hasServicePorts(w.want.spec) || hasServicePorts(w.cur?.object.spec) ? await readClaims(store) : new Map<number, Claim>();
    const plan = planServicePorts([{ namespace: ns, name: m.name, want: w.want.spec, cur: w.cur?.object.spec, where: `Service "${m.name}"` }], { range: w.range, claims });
    const obj: Service = { ...w.want, metadata: { ...m }, spec: plan.specs[0]! };
    const txn = store.txn();
    const expected = w.expectedRev ?? w.cur?.specRev;
    if (!w.cur) Store.addCreate(txn, SERVICE, obj);
    else {
      Store.carryMeta(SERVICE, obj, w.cur);
      Store.addUpdate(txn, SERVICE, obj, expected!);
    }
    addPortOps(txn, plan.ops[0]!);
    const r = await txn.commit();
    if (r.succeeded) {
      obj.metadata.resourceVersion = r.revision;
      return { object: obj, specRev: r.revision, statusRev: w.cur?.statusRev ?? '0' };
    }
    const now = r.current.get(key);
    if (!w.cur && now) throw new ApiError('AlreadyExists', `service "${m.name}" already exists in namespace "${ns}"`);
    if (w.cur && (!now || String(now.mod_revision) !== expected)) throw conflictError(`service "${m.name}"`, expected!, now);
    // only a claim moved under us: another write made progress, so plan again, a little apart
    if (attempt >= MAX_PORT_RACES) throw new ApiError('Conflict', `the service ports of service "${m.name}" kept being taken by other writes meanwhile (${MAX_PORT_RACES} times); apply again`);
    await new Promise((r) => setTimeout(r, jitteredDelay(attempt, { initialMs: 5, maxMs: 100 })));
  }
}
