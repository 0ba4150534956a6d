/**
 * Fair sharing between tenants on hollow nodes (the sim driver: this test is
 * about the scheduler, not Docker): two namespaces with weights 1 and 3
 * competing for a full cluster get ~1:3 of it; a namespace at its quota gets
 * nothing more and its tasks say why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from '../../pkg/api/types.js';
import { spawnAgent, type AgentProc } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, until, type ServerProc } from '../helpers/stowage.js';

/** JSON over the API; throws with the server's message on a non-2xx answer. */
async function api<T = any>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

const ns = (name: string, weight: number, quota?: { cpus: number }) => ({ apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name }, spec: { weight, ...(quota ? { quota } : {}) } });
const task = (namespace: string, i: number) => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: `t${i}`, namespace },
  spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', '600'], resources: { cpus: 0.25, mem: 64 } },
});

describe('weighted DRF and quotas (real etcd, hollow nodes)', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let agent: AgentProc | undefined;

  before(async () => {
    etcd = await startEtcd();
    server = await spawnServer(etcd.endpoint);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await server?.stop();
    etcd.stop();
  });

  const usage = async () => {
    const l = await api<{ items: Task[] }>(server.url, 'GET', '/api/v1/tasks');
    const by: Record<string, { cpus: number; bound: number; pending: Task[] }> = {};
    for (const t of l.items) {
      const u = (by[t.metadata.namespace!] ??= { cpus: 0, bound: 0, pending: [] });
      if (t.status?.nodeName) {
        u.cpus += t.spec.resources.cpus;
        u.bound++;
      } else u.pending.push(t);
    }
    return by;
  };

  it('splits a full cluster 1:3 between weights 1 and 3, and caps a namespace at its quota', async () => {
    // demand first, capacity second, so every task competes in the same cycles
    const items = [ns('light', 1), ns('heavy', 3), ns('capped', 3, { cpus: 1 })];
    await api(server.url, 'POST', '/api/v1/apply', { items });
    for (const n of ['light', 'heavy']) {
      const batch = Array.from({ length: 40 }, (_, i) => task(n, i));
      for (let i = 0; i < batch.length; i += 30) await api(server.url, 'POST', '/api/v1/apply', { items: batch.slice(i, i + 30) });
    }
    await api(server.url, 'POST', '/api/v1/apply', { items: Array.from({ length: 10 }, (_, i) => task('capped', i)) });
    // 4 hollow nodes x 2 cpus = 8 cpus; 22.5 cpus asked for
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', '4', '--node-prefix', 'fair-', '--cpus', '2', '--mem', '8192', '--disk', '1000']);
    const u = await until('the cluster to fill', async () => {
      const x = await usage();
      const total = (x.light?.cpus ?? 0) + (x.heavy?.cpus ?? 0) + (x.capped?.cpus ?? 0);
      return total >= 8 - 1e-9 ? x : undefined;
    }, 30_000, 250);

    // capped: exactly its quota, the rest waiting with the reason
    assert.equal(u.capped!.cpus, 1, `capped holds ${u.capped!.cpus} cpus`);
    await until('capped tasks to say QuotaExceeded', async () => {
      const x = await usage();
      return x.capped!.pending.length === 6 && x.capped!.pending.every((t) => /quota/i.test(t.status?.pendingReason ?? ''));
    }, 10_000);
    // light and heavy share the other 7 cpus about 1:3 (DRF with 0.25-cpu steps)
    const ratio = u.heavy!.cpus / u.light!.cpus;
    assert.ok(ratio > 2.4 && ratio < 3.6, `heavy:light = ${u.heavy!.cpus}:${u.light!.cpus} = ${ratio.toFixed(2)}, want ~3`);
  });
});
