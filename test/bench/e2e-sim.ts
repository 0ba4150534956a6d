/**
 * `npm run bench:e2e-sim`: the whole control plane at scale on hollow nodes.
 *
 *   etcd ◄── stowage server (API, scheduler, services, nodes, gc)
 *     ▲
 *     └── stowage agent --driver sim --nodes 1000   (one process, 1,000 Ready nodes)
 *
 *   POST /api/v1/apply  Service "big" with 10,000 instances
 *   ──► seconds until all 10,000 tasks are Running (watched on etcd), tasks/s,
 *       when the last one was created / bound, and the server's memory.
 *
 * Goal: under 10 s (Marathon: 14 s for 500 instances on 189 agents).
 * Flags: --nodes N --instances N; --cpu-prof writes a V8 CPU profile of the
 * server to .run/profiles/ (open it in Chrome DevTools).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IWatchResponse } from 'etcd3';
import { API_VERSION, type Node, type Service } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { specPrefix, statusPrefix } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { startEtcd } from '../helpers/etcd.js';
import { ROOT, spawnAgent } from '../helpers/agent.js';
import { SERVICE, TASK, spawnServer, sleep, until } from '../helpers/stowage.js';

const NODE = lookupKind('Node')!;
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const NODES = arg('nodes', 1000);
const INSTANCES = arg('instances', 10_000);
const PROFILE = process.argv.includes('--cpu-prof');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number) => `${Math.round(b / 1048576)} MiB`;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  const profDir = resolve(ROOT, '.run/profiles');
  if (PROFILE) mkdirSync(profDir, { recursive: true });
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  let agent: Awaited<ReturnType<typeof spawnAgent>> | undefined;
  try {
    server = await spawnServer(etcd.endpoint, ['--log-level', 'warn'], PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
    // Nodes about a tenth of a real host, so 10,000 tasks spread over the cluster as they would in production.
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', String(NODES), '--node-prefix', 'sim-', '--cpus', '2', '--mem', '2048', '--disk', '1000'], {
      readyTimeoutMs: 120_000,
    });
    await until(`${NODES} nodes Ready`, async () => (await store.list<Node>(NODE)).items.filter((n) => n.object.status?.state === 'Ready').length === NODES, 120_000, 500);
    const serverStart = rssOf(server!.child.pid!);

    // Watch what happens to tasks: created (spec key), bound and Running (status key).
    const created = new Set<string>();
    const bound = new Set<string>();
    const running = new Set<string>();
    let tCreated = 0;
    let tBound = 0;
    let tRunning = 0;
    let done!: () => void;
    const allRunning = new Promise<void>((r) => (done = r));
    const sp = specPrefix(TASK, 'default');
    const tp = statusPrefix(TASK, 'default');
    const ws = await client.watch().prefix(sp).create();
    ws.on('data', (r: IWatchResponse) => {
      for (const e of r.events) if (e.type === 'Put') created.add(e.kv.key.toString().slice(sp.length));
      if (created.size >= INSTANCES && !tCreated) tCreated = performance.now();
    });
    const wt = await client.watch().prefix(tp).create();
    wt.on('data', (r: IWatchResponse) => {
      for (const e of r.events) {
        if (e.type !== 'Put') continue;
        const name = e.kv.key.toString().slice(tp.length);
        const st = (JSON.parse(e.kv.value.toString()) as { state: string }).state;
        if (st !== 'Pending') bound.add(name);
        if (st === 'Running') running.add(name);
      }
      if (bound.size >= INSTANCES && !tBound) tBound = performance.now();
      if (running.size >= INSTANCES && !tRunning) {
        tRunning = performance.now();
        done();
      }
    });

    let peak = serverStart;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server!.child.pid!))), 100);
    const svc: Service = {
      apiVersion: API_VERSION,
      kind: 'Service',
      metadata: { name: 'big', namespace: 'default' },
      spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', 'infinity'], instances: INSTANCES, resources: { cpus: 0.1, mem: 64, disk: 0 } } as Service['spec'],
    };
    const t0 = performance.now();
    const res = await fetch(`${server!.url}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [svc] }) });
    if (!res.ok) throw new Error(`apply: ${res.status} ${await res.text()}`);
    const progress = setInterval(() => process.stderr.write(`  ${s(performance.now() - t0)}: ${created.size} created, ${bound.size} bound, ${running.size} running\n`), 2000);
    await Promise.race([allRunning, sleep(180_000).then(() => Promise.reject(new Error(`only ${running.size}/${INSTANCES} Running after 180 s`)))]).finally(() => {
      clearInterval(progress);
      clearInterval(sampler);
    });
    const total = tRunning - t0;
    // how long until the services loop's status says so too (complete, all healthy)
    const status = await until('the service status to catch up', async () => {
      const st = (await store.get<Service>(SERVICE, 'default', 'big'))?.object.status;
      return st?.deployment?.state === 'complete' && st.healthy === INSTANCES && st;
    }, 60_000, 100).catch(() => undefined);
    const tStatus = performance.now();
    const metrics = await (await fetch(`${server!.url}/metrics`)).text();
    const heap = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? 0);
    const metric = (re: RegExp) => [...metrics.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
    const loop = (c: string) =>
      `${metric(new RegExp(`^stowage_reconcile_total\\{controller="${c}",result="[a-z]+"\\} (\\S+)$`, 'gm'))} reconciles, ` +
      `${metric(new RegExp(`^stowage_reconcile_duration_seconds_sum\\{controller="${c}"\\} (\\S+)$`, 'gm')).toFixed(1)} s`;
    const placed = metric(/^stowage_scheduler_placements_total\{result="bound"\} (\S+)$/gm);
    const conflicts = metric(/^stowage_scheduler_placements_total\{result="conflict"\} (\S+)$/gm);
    const cycle = metric(/^stowage_scheduler_cycle_duration_seconds_sum (\S+)$/gm);
    await ws.cancel();
    await wt.cancel();

    console.log(`\nbench:e2e-sim  ${NODES} hollow nodes, one Service with ${INSTANCES} instances, real etcd (one member)`);
    console.log(`  apply -> all created   ${s(tCreated - t0)}`);
    console.log(`  apply -> all bound     ${s(tBound - t0)}`);
    console.log(`  apply -> all Running   ${s(total)}   (goal < 10 s; Marathon: 14 s for 500 on 189 agents)`);
    console.log(`  throughput             ${Math.round(INSTANCES / (total / 1000))} tasks/s`);
    console.log(`  server memory          RSS ${mib(serverStart)} before, ${mib(peak)} peak; heap used ${mib(heap)} after`);
    console.log(`  apply -> status says   ${status ? `complete, ${status.healthy}/${INSTANCES} healthy at ${s(tStatus - t0)}` : 'not complete within 60 s more'}`);
    console.log(`  services loop          ${loop('services')} in reconcile`);
    console.log(`  scheduler loop         ${loop('scheduler')} in reconcile (${cycle.toFixed(1)} s deciding); ${placed} bound, ${conflicts} lost races`);
    console.log(`  gc loop                ${loop('gc')} in reconcile`);
    if (PROFILE) console.log(`  cpu profile            ${profDir}/ (written when the server exits)`);
  } finally {
    await server?.stop('SIGINT');
    await agent?.stop('SIGKILL');
    client.close();
    etcd.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
