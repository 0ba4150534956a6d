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
}

const counter = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`etcd's /metrics has no ${name}`);
  return Number(m[1]);
};

export async function etcdWrites(client: Etcd3, endpoint: string): Promise<EtcdWrites> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const r = await client.get('/stowage/\0bench-revision-probe').exec();
  return { puts: counter(text, 'etcd_mvcc_put_total'), deletes: counter(text, 'etcd_mvcc_delete_total'), revision: Number(r.header.revision) };
}

export function diffWrites(a: EtcdWrites, b: EtcdWrites): { puts: number; deletes: number; txns: number } {
  return { puts: b.puts - a.puts, deletes: b.deletes - a.deletes, txns: b.revision - a.revision };
}
