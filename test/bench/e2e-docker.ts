/**
 * `npm run bench:e2e-docker`: what the control plane costs on real Docker.
 *
 *   baseline  20 x `docker run -d --network host busybox httpd -p PORT` in parallel
 *             ──► all started, all answering HTTP
 *   stowage   stowctl-equivalent apply of a 20-instance Service (same image,
 *             same command, HTTP health check every 1 s) on one agent
 *             ──► all Running, all healthy (as the agents' health checks say)
 *
 * Printed as times and as ratios stowage / docker. Containers are removed by
 * their stowage.node label. Flag: --instances N (default 20).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { API_VERSION, type Service } from '../../pkg/api/types.js';
import { IMAGE, ensureDocker, removeNodeContainers, testNodeName } from '../helpers/docker.js';
import { isHealthy, portRange, probe, serviceTasks, sleep, startCluster, until } from '../helpers/stowage.js';

const run = promisify(execFile);
const i = process.argv.indexOf('--instances');
const N = i > 0 ? Number(process.argv[i + 1]) : 20;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function baseline(label: string, ports: number[]): Promise<{ started: number; serving: number }> {
  const t0 = performance.now();
  await Promise.all(
    ports.map((p) => run('docker', ['run', '-d', '--network', 'host', '--label', `stowage.node=${label}`, IMAGE, 'httpd', '-f', '-p', String(p), '-h', '/www'])),
  );
  const started = performance.now() - t0;
  await until('every container answering', async () => (await Promise.all(ports.map(probe))).every((b) => b === 'ok\n'), 30_000, 20);
  return { started, serving: performance.now() - t0 };
}

async function main(): Promise<void> {
  ensureDocker();
  const node = testNodeName('bench-docker');
  const plain = testNodeName('bench-plain');
  const [lo] = portRange(7).split('-').map(Number);
  const c = await startCluster({ nodes: [node], agentArgs: ['--cpus', '8', '--mem', '8192'] });
  try {
    // warm up the engine and the image cache once, for both sides alike
    await run('docker', ['run', '--rm', '--network', 'host', IMAGE, 'true']);
    const base = await baseline(plain, Array.from({ length: N }, (_, k) => lo! + 50 + k));
    await removeNodeContainers(plain);

    const svc: Service = {
      apiVersion: API_VERSION,
      kind: 'Service',
      metadata: { name: 'bench', namespace: 'default' },
      spec: {
        instances: N,
        image: IMAGE,
        command: ['/bin/sh', '-c', 'exec httpd -f -p $PORT0 -h /www'],
        resources: { cpus: 0.1, mem: 32, disk: 0 },
        ports: [{ name: 'http' }],
        killGracePeriodSeconds: 1,
        healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
      } as Service['spec'],
    };
    const t0 = performance.now();
    const res = await fetch(`${c.server.url}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [svc] }) });
    if (!res.ok) throw new Error(`apply: ${res.status} ${await res.text()}`);
    let running = 0;
    let serving = 0;
    await until('all healthy', async () => {
      const ts = await serviceTasks(c.store, 'bench');
      const now = performance.now() - t0;
      if (!running && ts.filter((t) => t.status?.state === 'Running').length === N) running = now;
      if (!serving && ts.length === N && (await Promise.all(ts.map((t) => probe(t.status?.ports?.http)))).every((b) => b === 'ok\n')) serving = now;
      return ts.filter(isHealthy).length === N;
    }, 60_000, 20);
    const healthy = performance.now() - t0;

    console.log(`\nbench:e2e-docker  ${N} busybox httpd containers on one Docker engine, same run`);
    console.log(`                      docker run -d x${N}   stowage Service   ratio`);
    console.log(`  started / Running   ${s(base.started).padStart(10)}        ${s(running).padStart(10)}    ${(running / base.started).toFixed(2)}x`);
    console.log(`  answering HTTP      ${s(base.serving).padStart(10)}        ${s(serving).padStart(10)}    ${(serving / base.serving).toFixed(2)}x`);
    console.log(`  healthy (checked)          -            ${s(healthy).padStart(10)}    ${(healthy / base.serving).toFixed(2)}x  (health checks every 1 s: the first runs 1 s after start)`);
  } finally {
    await removeNodeContainers(plain).catch(() => undefined);
    await c.stop();
  }
  await sleep(0);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
