/**
 * What the failover test and bench share: a service of hollow tasks on a
 * sim agent, the leader as etcd and the servers agree on it, and the JSON
 * lines a server logged after a moment (its own "timestamp").
 */
import type { Etcd3 } from 'etcd3';
import { API_VERSION } from '../../pkg/api/types.js';
import type { Service, Task } from '../../pkg/api/types.js';
import { LEADER_PREFIX } from '../../pkg/store/keys.js';
import type { Store } from '../../pkg/store/store.js';
import type { Fence } from '../../pkg/store/txn.js';
import { spawnAgent, type AgentProc } from './agent.js';
import { serviceTasks, type ServerProc } from './stowage.js';

export type LogLine = { message?: string; timestamp?: string; [k: string]: unknown };

/** The lines `s` logged (parsed) from `sinceMs` on, that `pred` accepts. */
export function linesSince(s: ServerProc, sinceMs: number, pred: (l: LogLine) => boolean): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of s.output) {
    if (!raw.startsWith('{')) continue;
    let l: LogLine;
    try {
      l = JSON.parse(raw) as LogLine;
    } catch {
      continue;
    }
    if (l.timestamp && Date.parse(l.timestamp) >= sinceMs && pred(l)) out.push(l);
  }
  return out;
}

/** One `stowage agent --driver sim` process with `nodes` hollow nodes, straight on etcd. */
export function spawnSimAgent(etcd: string, nodes = 2, prefix = 'sim-'): Promise<AgentProc> {
  return spawnAgent(['--etcd', etcd, '--driver', 'sim', '--nodes', String(nodes), '--node-prefix', prefix, '--cpus', '4', '--mem', '4096', '--disk', '1000', '--heartbeat-ttl', '5']);
}

export async function applyService(url: string, name: string, instances: number): Promise<void> {
  const svc: Service = {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', 'infinity'], instances, resources: { cpus: 0.1, mem: 16, disk: 0 } } as Service['spec'],
  };
  const res = await fetch(`${url}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [svc] }) });
  if (!res.ok) throw new Error(`apply: ${res.status} ${await res.text()}`);
}

/** The service's live tasks, once all `n` are Running: their uids, sorted. */
export async function runningUids(store: Store, name: string, n: number): Promise<string[] | undefined> {
  const ts = (await serviceTasks(store, name)).filter((t: Task) => t.spec.desiredState !== 'Killed');
  if (ts.length !== n || !ts.every((t) => t.status?.state === 'Running')) return undefined;
  return ts.map((t) => String(t.metadata.uid)).sort();
}

/** The election key with the lowest create revision: the term that leads, as etcd has it. */
export async function leaderKey(client: Etcd3): Promise<(Fence & { identity: string }) | undefined> {
  const r = await client.getAll().prefix(LEADER_PREFIX).sort('Create', 'Ascend').limit(1).exec();
  const kv = r.kvs[0];
  return kv ? { key: kv.key.toString(), createRevision: String(kv.create_revision), identity: kv.value.toString() } : undefined;
}

/** The server whose identity (`host/pid@listen`) the election key names. */
export const serverOf = (servers: ServerProc[], identity: string | undefined): ServerProc | undefined =>
  servers.find((s) => identity?.endsWith(`@${s.url.slice('http://'.length)}`));

/** What the server's /readyz says about leading (undefined: no answer). */
export async function isLeader(s: ServerProc): Promise<boolean | undefined> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 1000);
  try {
    const r = await fetch(`${s.url}/readyz`, { signal: ac.signal });
    return ((await r.json()) as { isLeader?: boolean }).isLeader === true;
  } catch {
    return undefined;
  } finally {
    clearTimeout(t);
  }
}
