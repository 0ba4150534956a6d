/**
 * `npm run bench:e2e-docker`: what the control plane costs on real Docker.
 *
 *   baseline  20 x `docker run -d --network host busybox httpd -p PORT` in parallel
 *   stowage   an apply of a 20-instance Service (same image, same command, HTTP
 *             health check every 1 s) on one agent on the agent API (`--server`,
 *             a token of role node; the server with --tokens)
 *
 * Both sides are timed by the engine itself: its `create` and `start` events
 * (docker events, nanosecond times) against the moment the commands were
 * spawned / the apply was sent, on this host's one clock. Printed per run,
 * side by side: the first container created and started, all of them
 * started, and (for the record) the commands returned / every task Running
 * in its status, answering HTTP, and healthy. The Service is traced
 * (api/trace.ts): --timeline prints the first task's marks of each run.
 *
 * Flags: --instances N (default 20), --runs N (default 3, one after another
 * on one cluster), --timeline. Containers are removed by their
 * stowage.node label.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { TRACE_ANNOTATION, traceNow } from '../../pkg/api/trace.js';
import { API_VERSION, type Service, type Task } from '../../pkg/api/types.js';
import { renderTimeline } from '../../pkg/cli/commands/apply-trace.js';
import { IMAGE, ensureDocker, removeNodeContainers, testNodeName } from '../helpers/docker.js';
import { isHealthy, portRange, probe, serviceTasks, sleep, startCluster, until } from '../helpers/stowage.js';
import { median } from './stats.js';

const run = promisify(execFile);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--instances', 20);
const RUNS = arg('--runs', 3);
const TIMELINE = process.argv.includes('--timeline');
const f = (ms: number | undefined) => (ms === undefined ? '-' : `${ms.toFixed(0)} ms`);

/** The engine's container events (create, start), by the stowage.node label, with the engine's own times (epoch ms). */
class EngineEvents {
  private readonly seen = new Map<string, { action: string; at: number }[]>();
  private readonly child = spawn('docker', ['events', '--filter', 'type=container', '--filter', 'event=create', '--filter', 'event=start', '--format', '{{json .}}'], { stdio: ['ignore', 'pipe', 'inherit'] });
  readonly ready: Promise<void>;

  constructor() {
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        const e = JSON.parse(l) as { Action?: string; status?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
        const node = e.Actor?.Attributes?.['stowage.node'];
        if (!node || e.timeNano === undefined) return;
        const list = this.seen.get(node) ?? [];
        list.push({ action: e.Action ?? e.status ?? '', at: e.timeNano / 1e6 });
        this.seen.set(node, list);
      } catch {
        // not an event line
      }
    });
    // docker events has no "subscribed" line: give it a moment to attach
    this.ready = sleep(500).then(() => undefined);
  }

  /** Times (epoch ms) of `action` events of the node's containers since `since`, sorted. */
  times(node: string, action: 'create' | 'start', since: number): number[] {
    return (this.seen.get(node) ?? []).filter((e) => e.action === action && e.at >= since).map((e) => e.at).sort((a, b) => a - b);
  }

  async waitFor(node: string, action: 'create' | 'start', n: number, since: number): Promise<number[]> {
    return until(`${n} ${action} events of ${node}`, () => this.times(node, action, since).length >= n && this.times(node, action, since), 60_000, 5);
  }

  close(): void {
    this.child.kill();
  }
}

interface Side {
  firstCreated: number;
  firstStarted: number;
  allStarted: number;
  /** docker: every command returned; stowage: every task Running in its status. */
  reported: number;
  serving: number;
  healthy?: number;
}

async function baseline(ev: EngineEvents, label: string, ports: number[]): Promise<Side> {
  const t0 = traceNow();
  const returned: number[] = [];
  await Promise.all(
    ports.map((p) =>
      run('docker', ['run', '-d', '--network', 'host', '--label', `stowage.node=${label}`, IMAGE, 'httpd', '-f', '-p', String(p), '-h', '/www']).then(() => returned.push(traceNow() - t0)),
    ),
  );
  const started = await ev.waitFor(label, 'start', ports.length, t0);
  await until('every container answering', async () => (await Promise.all(ports.map(probe))).every((b) => b === 'ok\n'), 30_000, 20);
  const serving = traceNow() - t0;
  const created = ev.times(label, 'create', t0);
  return { firstCreated: created[0]! - t0, firstStarted: started[0]! - t0, allStarted: started[ports.length - 1]! - t0, reported: Math.max(...returned), serving };
}

/** The API as the security issue runs it: tokens, the agent's of role node. */
const ADMIN = randomBytes(16).toString('hex');
const auth = { authorization: `Bearer ${ADMIN}` };

async function stowage(ev: EngineEvents, url: string, store: Parameters<typeof serviceTasks>[0], node: string, name: string): Promise<{ side: Side; tasks: Task[]; t0: number; api: Record<string, number> }> {
  const svc: Service = {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations: { [TRACE_ANNOTATION]: name } },
    spec: {
      instances: N,
      image: IMAGE,
      command: ['/bin/sh', '-c', 'exec httpd -f -p $PORT0 -h /www'],
      resources: { cpus: 0.1, mem: 32, disk: 0 },
      ports: [{ name: 'http' }],
      killGracePeriodSeconds: 1,
      drainSeconds: 0,
      healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
    } as Service['spec'],
  };
  const t0 = traceNow();
  const res = await fetch(`${url}/api/v1/apply?trace=1`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ items: [svc] }) });
  if (!res.ok) throw new Error(`apply: ${res.status} ${await res.text()}`);
  const api = ((await res.json()) as { trace?: Record<string, number> }).trace ?? {};
  // the engine's events first (nothing polls the cluster while the containers start), then the statuses
  const started = await ev.waitFor(node, 'start', N, t0);
  let running = 0;
  let serving = 0;
  let tasks: Task[] = [];
  await until('all healthy', async () => {
    tasks = await serviceTasks(store, name);
    const now = traceNow() - t0;
    if (!running && tasks.length === N && tasks.every((t) => t.status?.state === 'Running')) running = now;
    if (!serving && tasks.length === N && (await Promise.all(tasks.map((t) => probe(t.status?.ports?.http)))).every((b) => b === 'ok\n')) serving = now;
    return tasks.filter(isHealthy).length === N;
  }, 60_000, 20);
  const healthy = traceNow() - t0;
  const created = ev.times(node, 'create', t0);
  return { side: { firstCreated: created[0]! - t0, firstStarted: started[0]! - t0, allStarted: started[N - 1]! - t0, reported: running, serving, healthy }, tasks, t0, api };
}

async function removeService(url: string, store: Parameters<typeof serviceTasks>[0], node: string, name: string): Promise<void> {
  await fetch(`${url}/api/v1/services/default/${name}`, { method: 'DELETE', headers: auth });
  await until('the service gone', async () => (await serviceTasks(store, name)).length === 0, 60_000, 100);
  await removeNodeContainers(node);
}

async function main(): Promise<void> {
  ensureDocker();
  const node = testNodeName('bench-docker');
  const plain = testNodeName('bench-plain');
  const [lo] = portRange(7).split('-').map(Number);
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  const nodeToken = randomBytes(16).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-docker-'));
  writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n  - {user: bench, role: admin, sha256: ${sha(ADMIN)}}\n  - {user: ${node}, role: node, sha256: ${sha(nodeToken)}}\n`);
  writeFileSync(join(dir, 'node.token'), nodeToken);
  const c = await startCluster({ nodes: [], serverArgs: ['--tokens', join(dir, 'tokens.yaml')] });
  c.agentArgs.set(node, ['--server', c.server.url, '--token-file', join(dir, 'node.token'), '--node', node, '--cpus', '8', '--mem', '8192', '--disk', '1000', '--heartbeat-ttl', '2', '--ports', portRange(3)]);
  await c.startAgent(node);
  const ev = new EngineEvents();
  const rows: { base: Side; st: Side }[] = [];
  try {
    await ev.ready;
    // warm up the engine and the image cache once, for both sides alike
    await run('docker', ['run', '--rm', '--network', 'host', IMAGE, 'true']);
    for (let r = 1; r <= RUNS; r++) {
      const label = `${plain}-${r}`;
      const base = await baseline(ev, label, Array.from({ length: N }, (_, k) => lo! + 50 + k));
      await removeNodeContainers(label);
      await sleep(500);
      const name = `bench-${r}`;
      const { side: st, tasks, t0, api } = await stowage(ev, c.server.url, c.store, node, name);
      rows.push({ base, st });
      print(r, base, st);
      if (TIMELINE) {
        const first = [...tasks].sort((a, b) => (a.status?.trace?.['agent.started'] ?? Infinity) - (b.status?.trace?.['agent.started'] ?? Infinity))[0]!;
        process.stdout.write(renderTimeline(name, first, { 'cli.sent': t0, ...api, ...(first.status?.trace ?? {}) }));
      }
      await removeService(c.server.url, c.store, node, name);
      await sleep(500);
    }
    if (rows.length > 1) {
      console.log(`\nmedians of ${rows.length} runs: first started ${f(median(rows.map((x) => x.st.firstStarted)))} vs ${f(median(rows.map((x) => x.base.firstStarted)))} (${(median(rows.map((x) => x.st.firstStarted / x.base.firstStarted))).toFixed(2)}x), all started ${f(median(rows.map((x) => x.st.allStarted)))} vs ${f(median(rows.map((x) => x.base.allStarted)))} (${(median(rows.map((x) => x.st.allStarted / x.base.allStarted))).toFixed(2)}x), apply -> first created ${f(median(rows.map((x) => x.st.firstCreated)))}`);
    }
  } finally {
    ev.close();
    for (let r = 1; r <= RUNS; r++) await removeNodeContainers(`${plain}-${r}`).catch(() => undefined);
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(r: number, base: Side, st: Side): void {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const line = (what: string, b: number | undefined, s: number | undefined) =>
    `  ${what.padEnd(34)} ${f(b).padStart(10)}   ${f(s).padStart(10)}   ${b !== undefined && s !== undefined ? ratio(s, b) : ''}`;
  console.log(`\nbench:e2e-docker run ${r}: ${N} busybox httpd containers on one Docker engine, agent on the agent API (--server)`);
  console.log(`  ${'(engine events; from the commands / the apply)'.padEnd(34)} ${'docker run'.padStart(10)}   ${'stowage'.padStart(10)}   ratio`);
  console.log(line('first container created', base.firstCreated, st.firstCreated));
  console.log(line('first container started', base.firstStarted, st.firstStarted));
  console.log(line(`all ${N} started`, base.allStarted, st.allStarted));
  console.log(line('commands returned / all Running', base.reported, st.reported));
  console.log(line('all answering HTTP', base.serving, st.serving));
  console.log(line('all healthy (checks every 1 s)', undefined, st.healthy));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
