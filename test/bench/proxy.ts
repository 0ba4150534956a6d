/**
 * `npm run bench:proxy`: HTTP through `stowage proxy` against the same
 * requests straight to the instances, in the same run; and how fast an
 * instance taken out of endpoints stops getting new connections.
 *
 *   direct:  autocannon ──keep-alive──► instance 1 | 2 | 3        (connections split over the three)
 *   proxy:   autocannon ──keep-alive──► 127.0.0.1:<servicePort> ──stowage proxy──► instance 1 | 2 | 3
 *
 * The instances are three Node HTTP servers, each its own process, answering
 * "ok" with keep-alive. Not busybox httpd containers: busybox httpd forks a
 * process per connection and closes it after one answer, so a run would
 * measure fork() and connection setup, and the proxy (a TCP splice) would
 * look better than it is; containers add nothing to a loopback TCP path
 * (host networking). Keep-alive Node servers are the hard case for a proxy:
 * the instance is cheap, so the proxy's own cost shows.
 *
 * Endpoints come from a stand-in of the server's endpoints API (the list and
 * SSE watch contract), since the proxy reads nothing else.
 *
 * Rows (rounds interleave direct and proxy so drift hits both; medians):
 *   1. throughput: requests/s with --connections in flight, as fast as it goes;
 *   2. latency at a fixed rate (--rate req/s, well under saturation): p50/p99 of
 *      every response, sub-millisecond (autocannon's own histogram is whole ms);
 *      "added" = proxy - direct;
 *   3. deregistration: connections opened without keep-alive, 8 at a time, through
 *      the proxy to two instances; one is removed from endpoints (the watch event
 *      is written at t0); the time from t0 to the last connection it accepted.
 *      Repeated --dereg times.
 *
 * Goals: throughput >= 0.7 x direct, p99 added latency < 1 ms, deregistration < 100 ms.
 * Beside the table: CPU time per request of the load generator, the instances and
 * the proxy (from /proc), which says where a missed throughput goal went when all
 * of them share the machine's cores.
 *
 *   --duration S  seconds per run (default 8)   --rounds N (default 3)
 *   --connections N (default 32)                --rate N (default 2000)
 *   --dereg N (default 10)                      --cpu-prof: profile the proxy (.run/proxy-prof/)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { address, endpoints, startEndpointsApi, type FakeEndpointsApi } from '../helpers/endpoints-api.js';
import { ROOT } from '../helpers/agent.js';
import { freePort } from '../helpers/etcd.js';
import { metricValue, spawnProxy, type ProxyProc } from '../helpers/stowage-proxy.js';
import { sleep } from '../helpers/wait.js';
import { median } from './stats.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DURATION = arg('duration', 8);
const ROUNDS = arg('rounds', 3);
const CONNECTIONS = arg('connections', 32);
const RATE = arg('rate', 2000);
const DEREG = arg('dereg', 10);
const CPU_PROF = process.argv.includes('--cpu-prof');

const INSTANCE = `
const http = require('node:http');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 }); res.end('ok\\n'); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

interface Instance {
  child: ChildProcess;
  port: number;
}

async function startInstance(): Promise<Instance> {
  const child = spawn(process.execPath, ['-e', INSTANCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim())));
    child.once('exit', (c) => rej(new Error(`instance exited ${c}`)));
  });
  return { child, port };
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One autocannon run; latencies of every response, in ms with sub-ms precision. */
async function cannon(urls: string[], opts: { connections: number; duration: number; rate?: number }): Promise<Run> {
  const times: number[] = [];
  let inst: autocannon.Instance | undefined;
  const r = await new Promise<autocannon.Result>((res, rej) => {
    inst = autocannon(
      {
        url: urls as unknown as string, // autocannon spreads connections over several URLs
        connections: opts.connections,
        duration: opts.duration,
        ...(opts.rate ? { overallRate: opts.rate } : {}),
      },
      (e, result) => (e ? rej(e) : res(result)),
    );
    inst.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => times.push(ms));
  });
  void inst;
  const sorted = Float64Array.from(times).sort();
  return { rps: r.requests.sent / r.duration, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: r.errors, non2xx: r.non2xx };
}

/** An in-process instance that records when it accepted each connection. */
async function recordingInstance(): Promise<{ server: Server; port: number; accepted: number[] }> {
  const accepted: number[] = [];
  const server = createServer((req, res) => res.writeHead(200, { connection: 'close' }).end('ok\n'));
  server.on('connection', () => accepted.push(performance.now()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0, accepted };
}

/** Fresh connections (no keep-alive), `parallel` at a time, until stop(). */
function churn(port: number, parallel: number): { stop: () => Promise<{ ok: number; failed: number }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((r) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          ok++;
          r();
        });
      });
      req.on('error', () => {
        failed++;
        r();
      });
      req.end();
    });
  const workers = Array.from({ length: parallel }, async () => {
    while (running) await one();
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { ok, failed };
    },
  };
}

async function waitForPort(port: number): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        r(res.statusCode === 200);
      });
      req.on('error', () => r(false));
      req.end();
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing answers on the service port ${port}`);
    await sleep(20);
  }
}

async function deregistration(api: FakeEndpointsApi, rounds: number): Promise<{ ms: number[]; failed: number }> {
  const keep = await recordingInstance();
  const victim = await recordingInstance();
  const servicePort = await freePort();
  const both = () => endpoints('bench', 'dereg', [{ name: 'http', servicePort, addresses: [address(keep.port, 'keep'), address(victim.port, 'victim')] }]);
  const out: number[] = [];
  let failed = 0;
  api.set(both());
  await waitForPort(servicePort);
  for (let i = 0; i < rounds; i++) {
    api.set(both());
    // wait until the victim gets connections again through the proxy
    const load = churn(servicePort, 8);
    const since = victim.accepted.length;
    const until = Date.now() + 15_000;
    while (victim.accepted.length < since + 20) {
      if (Date.now() > until) throw new Error('the victim instance never got connections through the proxy');
      await sleep(20);
    }
    const t0 = performance.now();
    api.set(endpoints('bench', 'dereg', [{ name: 'http', servicePort, addresses: [address(keep.port, 'keep')] }]));
    await sleep(500);
    const r = await load.stop();
    failed += r.failed;
    const last = victim.accepted[victim.accepted.length - 1]!;
    out.push(Math.max(0, last - t0));
  }
  api.delete('bench', 'dereg');
  keep.server.close();
  victim.server.close();
  return { ms: out, failed };
}

/** CPU seconds a process has used (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  console.log(`bench:proxy on ${cpus().length} cpus: ${ROUNDS} rounds of ${DURATION} s, ${CONNECTIONS} connections; latency at ${RATE} req/s; ${DEREG} deregistrations`);
  const instances = await Promise.all([startInstance(), startInstance(), startInstance()]);
  const servicePort = await freePort();
  const api = await startEndpointsApi([endpoints('bench', 'web', [{ name: 'http', servicePort, addresses: instances.map((x, i) => address(x.port, `web-${i}`)) }])]);
  let proxy: ProxyProc | undefined;
  try {
    const profDir = resolve(ROOT, '.run/proxy-prof');
    if (CPU_PROF) mkdirSync(profDir, { recursive: true });
    proxy = await spawnProxy(api.url, ['--log-level', 'warn'], { nodeArgs: CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [] });
    const direct = instances.map((x) => `http://127.0.0.1:${x.port}/`);
    const via = [`http://127.0.0.1:${servicePort}/`];
    // warm-up: JIT, connections, the proxy's listener
    await cannon(direct, { connections: CONNECTIONS, duration: 2 });
    await cannon(via, { connections: CONNECTIONS, duration: 2 });

    const tput = { direct: [] as Run[], proxy: [] as Run[] };
    const cpuLines: string[] = [];
    const lat = { direct: [] as Run[], proxy: [] as Run[] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, urls] of r % 2 ? ([['proxy', via], ['direct', direct]] as const) : ([['direct', direct], ['proxy', via]] as const)) {
        const cpu0 = { bench: process.cpuUsage(), proxy: cpuSeconds(proxy.child.pid), inst: instances.reduce((s, i) => s + cpuSeconds(i.child.pid), 0) };
        const t = await cannon([...urls], { connections: CONNECTIONS, duration: DURATION });
        tput[name].push(t);
        const b = process.cpuUsage(cpu0.bench);
        const n = t.rps * DURATION;
        const us = (sec: number) => fmt((sec / n) * 1e6, 1);
        cpuLines.push(`  round ${r + 1} ${name.padEnd(6)} CPU µs per request: load generator ${us((b.user + b.system) / 1e6)}, instances ${us(instances.reduce((s, i) => s + cpuSeconds(i.child.pid), 0) - cpu0.inst)}, proxy ${us(cpuSeconds(proxy.child.pid) - cpu0.proxy)}`);
        const l = await cannon([...urls], { connections: 12, duration: DURATION, rate: RATE });
        lat[name].push(l);
        console.log(`  round ${r + 1} ${name.padEnd(6)} ${fmt(t.rps)} req/s (p50 ${fmt(t.p50, 2)} p99 ${fmt(t.p99, 2)} ms, ${t.errors} errors, ${t.non2xx} non-2xx); at ${RATE} req/s: p50 ${fmt(l.p50 * 1000)} µs p99 ${fmt(l.p99 * 1000)} µs`);
      }
    }
    const m = (runs: Run[], k: keyof Run) => median(runs.map((x) => x[k]));
    const errors = [...tput.direct, ...tput.proxy, ...lat.direct, ...lat.proxy].reduce((s, x) => s + x.errors + x.non2xx, 0);

    const dereg = await deregistration(api, DEREG);
    const metrics = await proxy.metrics();

    const ratio = m(tput.proxy, 'rps') / m(tput.direct, 'rps');
    const added50 = (m(lat.proxy, 'p50') - m(lat.direct, 'p50')) * 1000;
    const added99 = (m(lat.proxy, 'p99') - m(lat.direct, 'p99')) * 1000;
    const deregMedian = median(dereg.ms);
    const deregMax = Math.max(...dereg.ms);
    const row = (a: string, b: string, c: string, d: string, e: string) => console.log(`${a.padEnd(34)}${b.padStart(14)}${c.padStart(14)}${d.padStart(16)}  ${e}`);
    console.log('');
    row('', 'direct', 'proxy', 'proxy vs direct', 'goal');
    row(`throughput, ${CONNECTIONS} conns (req/s)`, fmt(m(tput.direct, 'rps')), fmt(m(tput.proxy, 'rps')), `${fmt(ratio, 2)} x`, `>= 0.70 x  ${ratio >= 0.7 ? 'met' : 'MISSED'}`);
    row('  latency p50 saturated (ms)', fmt(m(tput.direct, 'p50'), 2), fmt(m(tput.proxy, 'p50'), 2), '', '');
    row('  latency p99 saturated (ms)', fmt(m(tput.direct, 'p99'), 2), fmt(m(tput.proxy, 'p99'), 2), '', '');
    row(`latency p50 at ${RATE} req/s (µs)`, fmt(m(lat.direct, 'p50') * 1000), fmt(m(lat.proxy, 'p50') * 1000), `+${fmt(added50)} µs`, '');
    row(`latency p99 at ${RATE} req/s (µs)`, fmt(m(lat.direct, 'p99') * 1000), fmt(m(lat.proxy, 'p99') * 1000), `+${fmt(added99)} µs`, `< 1,000 µs added  ${added99 < 1000 ? 'met' : 'MISSED'}`);
    row(`deregistration, ${DEREG} runs (ms)`, '', `${fmt(deregMedian, 1)} median`, `${fmt(deregMax, 1)} max`, `< 100 ms  ${deregMax < 100 ? 'met' : 'MISSED'}`);
    console.log('');
    for (const l of cpuLines) console.log(l);
    console.log(`failed requests: ${errors} in the load runs, ${dereg.failed} during deregistrations (a removed instance keeps running here, so none should fail)`);
    console.log(`proxy: ${metricValue(metrics, 'stowage_proxy_connections_total', { namespace: 'bench', service: 'web', port: 'http' })} connections on the service port, ${metricValue(metrics, 'process_resident_memory_bytes')! >> 20} MiB resident`);
  } finally {
    await proxy?.stop();
    await api.stop();
    for (const i of instances) i.child.kill();
    if (CPU_PROF) console.log('proxy profile written to .run/proxy-prof/');
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
