/**
 * What etcd wrote between two moments, from its own counters (its /metrics
 * endpoint and the store revision): puts, deletes, and write transactions
 * (every transaction that writes bumps the revision by exactly one).
 *
 *   before = await etcdWrites(client, url) ... after = await etcdWrites(client, url)
 *   diffWrites(before, after) ──► {puts, deletes, txns}
 */
import type { Etcd3 } from 'etcd3';

export interface EtcdWrites {
  puts: number;
  deletes: number;
  /** The store revision: one per write transaction. */
  revision: number;
  /** gRPC calls etcd started, by method (Range, Txn, Put, LeaseKeepAlive, Watch...). */
  calls: Map<string, number>;
}

const counter = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`etcd's /metrics has no ${name}`);
  return Number(m[1]);
};

export async function etcdWrites(client: Etcd3, endpoint: string): Promise<EtcdWrites> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const r = await client.get('/stowage/\0bench-revision-probe').exec();
  const calls = new Map<string, number>();
  for (const m of text.matchAll(/^grpc_server_started_total\{[^}]*grpc_method="(\w+)"[^}]*\} (\S+)$/gm)) calls.set(m[1]!, (calls.get(m[1]!) ?? 0) + Number(m[2]));
  return { puts: counter(text, 'etcd_mvcc_put_total'), deletes: counter(text, 'etcd_mvcc_delete_total'), revision: Number(r.header.revision), calls };
}

export function diffWrites(a: EtcdWrites, b: EtcdWrites): { puts: number; deletes: number; txns: number; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  for (const [m, n] of b.calls) if (n - (a.calls.get(m) ?? 0) > 0) calls.set(m, n - (a.calls.get(m) ?? 0));
  return { puts: b.puts - a.puts, deletes: b.deletes - a.deletes, txns: b.revision - a.revision, calls };
}

/** "Txn 2003, Range 500" — the calls of a diff, most first. */
export const describeCalls = (calls: Map<string, number>): string =>
  [...calls].sort((x, y) => y[1] - x[1]).map(([m, n]) => `${m} ${n}`).join(', ') || 'none';
