/**
 * Prometheus service discovery: `GET /api/v1/sd/targets[?role=server|agent]`
 * answers in the format of Prometheus' `http_sd_configs`, so a Prometheus
 * pointed at any server scrapes every server and every agent, and a new agent
 * is scraped without editing its configuration (manifests/prometheus/).
 *
 *   etcd /stowage/leader/<lease> = "<host>/<pid>@<listen>"  ──► one group per server
 *   etcd /stowage/nodes/_/<node>  spec.address (--listen)    ──► one group per agent address
 *
 * Servers are the election's candidates: every live `stowage server`
 * campaigns, and its key goes with its lease, so a dead server leaves the
 * list within a lease TTL. Agents are the Nodes' `spec.address`, written at
 * registration; a sim agent hosting many nodes is one target. Labels are
 * `__meta_stowage_*`, for relabeling (Prometheus drops them after):
 *   __meta_stowage_role        server | agent
 *   __meta_stowage_identity    (server) its election identity
 *   __meta_stowage_node        (agent) the node, when the address hosts exactly one
 *   __meta_stowage_node_count  (agent) how many nodes the address hosts
 * Both are read in one etcd transaction (one revision).
 */
import type { ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Node } from '../api/types.js';
import { LEADER_PREFIX, specPrefix } from '../store/keys.js';
import { unavailable } from '../store/errors.js';
import { prefixEnd, type Store } from '../store/store.js';
import { sendJson } from './respond.js';

const NODE = lookupKind('Node')!;

export type Role = 'server' | 'agent';
export const ROLES: readonly Role[] = ['server', 'agent'];

/** One entry of an http_sd answer. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * host:port to scrape a server at, from its election identity
 * "<hostname>/<pid>@<listen>"; a wildcard listen host becomes the hostname.
 * Undefined when the identity has no such address.
 */
export function serverAddress(identity: string): string | undefined {
  const at = identity.lastIndexOf('@');
  if (at < 0) return undefined;
  const listen = identity.slice(at + 1);
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(listen);
  if (!m || Number(m[2]) === 0 || Number(m[2]) > 65535) return undefined;
  let host = m[1]!;
  if (WILDCARD.has(host)) {
    const slash = identity.indexOf('/');
    host = slash > 0 ? identity.slice(0, slash) : '';
    if (!host) return undefined;
  }
  return `${host}:${m[2]}`;
}

/** One group per server address, sorted. Pure. */
export function serverGroups(identities: readonly string[]): TargetGroup[] {
  const byAddr = new Map<string, string>();
  for (const id of identities) {
    const a = serverAddress(id);
    if (a && !byAddr.has(a)) byAddr.set(a, id);
  }
  return [...byAddr.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([addr, identity]) => ({ targets: [addr], labels: { __meta_stowage_role: 'server', __meta_stowage_identity: identity } }));
}

/** One group per agent address (a sim agent hosts many nodes at one), sorted. Pure. */
export function agentGroups(nodes: readonly Pick<Node, 'metadata' | 'spec'>[]): TargetGroup[] {
  const byAddr = new Map<string, string[]>();
  for (const n of nodes) {
    const a = n.spec.address;
    if (!a || !/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(a)) continue;
    const list = byAddr.get(a) ?? [];
    list.push(n.metadata.name);
    byAddr.set(a, list);
  }
  return [...byAddr.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([addr, names]) => ({
      targets: [addr],
      labels: {
        __meta_stowage_role: 'agent',
        ...(names.length === 1 ? { __meta_stowage_node: names[0]! } : {}),
        __meta_stowage_node_count: String(names.length),
      },
    }));
}

export function parseRole(v: string | null): Role | undefined {
  if (v === null || v === '') return undefined;
  if ((ROLES as readonly string[]).includes(v)) return v as Role;
  throw new ApiError('BadRequest', `role: "${v}" is not a role; use server or agent (or leave it out for both)`, [
    { field: 'role', rule: 'enum', message: 'server or agent' },
  ]);
}

/** The target groups of a role (or of both), read from etcd at one revision. */
export async function readTargets(store: Store, role: Role | undefined): Promise<TargetGroup[]> {
  const np = specPrefix(NODE);
  let res;
  try {
    res = await store.client.kv.txn({
      compare: [],
      success: [
        { request_range: { key: Buffer.from(LEADER_PREFIX), range_end: prefixEnd(LEADER_PREFIX) } },
        { request_range: { key: Buffer.from(np), range_end: prefixEnd(np) } },
      ],
      failure: [],
    });
  } catch (e) {
    throw unavailable(e);
  }
  const out: TargetGroup[] = [];
  if (role !== 'agent') {
    out.push(...serverGroups((res.responses[0]?.response_range?.kvs ?? []).map((kv) => kv.value.toString())));
  }
  if (role !== 'server') {
    const nodes: Node[] = [];
    for (const kv of res.responses[1]?.response_range?.kvs ?? []) {
      try {
        nodes.push(JSON.parse(kv.value.toString()) as Node);
      } catch {
        // a key that is not JSON is not a node anyone can scrape
      }
    }
    out.push(...agentGroups(nodes.filter((n) => n?.metadata?.name && n.spec)));
  }
  return out;
}

export async function serveTargets(store: Store, res: ServerResponse, q: URLSearchParams): Promise<void> {
  sendJson(res, 200, await readTargets(store, parseRole(q.get('role'))));
}
