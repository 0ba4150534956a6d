/**
 * `npm run bench:api`: objects created per second through the REST API
 * (POST /api/v1/services to a real `bin/stowage server`), beside raw etcd3
 * puts of the same objects to the same etcd, measured in the same run.
 *
 *   raw:  bench ──etcd3 put(/stowage/services/bench/<name>, <Service JSON>)──► etcd
 *   API:  bench ──HTTP keep-alive POST──► stowage server ──validate, txn create-if-absent──► etcd
 *
 * Each row runs with 1 and with 64 requests in flight, for a fixed count of
 * objects (unique names), after a warm-up; rounds interleave raw and API so
 * drift hits both, and the table shows medians. The bench holds leadership
 * itself so the server is a standby: no loop reacts to the new Services and
 * the server does API work only. Goal: API >= 0.5 x raw at 64 in flight.
 *
 * Beside it, in the same rounds, the same POSTs to a locked-down server:
 *
 *   secure: bench ──HTTPS keep-alive, Authorization: Bearer──► stowage server --tls-cert --tokens
 *                      ──gRPC over TLS with a client certificate──► etcd --client-cert-auth
 *
 * Goal: secure >= 0.8 x open (the API above) at 64 in flight.
 *
 *   --count N    objects per run (default 5000)   --rounds N   (default 3)
 *   --cpu-prof   run the server under `node --cpu-prof` (profile in .run/)
 *   --locked api-tls,tokens,etcd-tls   what the locked-down server turns on (default all three;
 *                for finding which one costs what)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { validateObject } from '../../pkg/api/validate.js';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { specKey } from '../../pkg/store/keys.js';
import { encodeSpec, Store } from '../../pkg/store/store.js';
import { freePort, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { median } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const COUNT = arg('count', 5000);
const ROUNDS = arg('rounds', 3);
const WARMUP = Math.min(1000, COUNT);
const CPU_PROF = process.argv.includes('--cpu-prof');
const LOCKED = new Set((process.argv.includes('--locked') ? process.argv[process.argv.indexOf('--locked') + 1]! : 'api-tls,tokens,etcd-tls').split(','));
for (const l of LOCKED) if (!['api-tls', 'tokens', 'etcd-tls'].includes(l)) throw new Error(`--locked: "${l}" is not one of api-tls, tokens, etcd-tls`);
const SERVICE = lookupKind('Service')!;
const NAMESPACE = 'bench';

/** A Service as a user writes it: what `stowctl apply` sends. */
function service(name: string): AnyResource {
  return {
    apiVersion: 'stowage/v1',
    kind: 'Service',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'bench', tier: 'web' } },
    spec: {
      instances: 3,
      image: 'localhost/stowage-busybox:1',
      command: ['/bin/sh', '-c', 'exec httpd -f -p $PORT0 -h /www'],
      env: { GREETING: 'hello' },
      resources: { cpus: 0.1, mem: 32, disk: 0 },
      ports: [{ name: 'http' }],
      constraints: [['hostname', 'UNIQUE']],
      healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
    },
  } as AnyResource;
}

/** The value the server stores for a Service: defaulted, with server-owned metadata. */
function storedValue(name: string): string {
  const o = validateObject(service(name));
  Store.initMeta(SERVICE, o);
  return encodeSpec(o);
}

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU milliseconds per object: of etcd, of the stowage server, of this process (the client). */
  cpu: { etcd: number; server: number; client: number };
}

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100);

/** utime + stime of a process, in ms (0 when it is gone). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

interface Pids {
  etcd?: number;
  server?: number;
}
const pids: Pids = {};
const securePids: Pids = {};

/** CPU of etcd, the server and this process while f runs, per object. */
async function measured(count: number, f: () => Promise<Omit<Run, 'cpu'>>, p: Pids = pids): Promise<Run> {
  const e0 = cpuMs(p.etcd);
  const s0 = cpuMs(p.server);
  const c0 = process.cpuUsage();
  const r = await f();
  const c = process.cpuUsage(c0);
  return {
    ...r,
    cpu: { etcd: (cpuMs(p.etcd) - e0) / count, server: (cpuMs(p.server) - s0) / count, client: (c.user + c.system) / 1000 / count },
  };
}

/** Do `count` operations with `inFlight` at a time; op(i) does the i-th. */
async function drive(count: number, inFlight: number, op: (i: number) => Promise<void>): Promise<Omit<Run, 'cpu'>> {
  const lat: number[] = new Array(count);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const s = performance.now();
      await op(i);
      lat[i] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: lat[Math.floor(count * 0.5)]!, p99: lat[Math.min(count - 1, Math.floor(count * 0.99))]! };
}

/** Where POSTs go: the open server over http, or the locked-down one over https with a token. */
interface Target {
  port: number;
  agent: Agent | HttpsAgent;
  secure?: { token: string; tls: boolean };
}

function post(t: Target, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (t.secure) headers.authorization = `Bearer ${t.secure.token}`;
    const opts = { host: '127.0.0.1', port: t.port, path: '/api/v1/services', method: 'POST', agent: t.agent, headers };
    const req = (t.secure?.tls ? httpsRequest : request)(
      opts,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let seq = 0;
const names = (label: string, n: number) => {
  const base = `${label}-${++seq}`;
  return Array.from({ length: n }, (_, i) => `${base}-${i}`);
};

async function rawRun(client: Etcd3, inFlight: number, count: number): Promise<Run> {
  const ns = names('raw', count);
  const values = ns.map(storedValue); // built before the clock starts: etcd's share only
  return measured(count, () => drive(count, inFlight, async (i) => void (await client.put(specKey(SERVICE, NAMESPACE, ns[i]!)).value(values[i]!))));
}

async function apiRun(t: Target, inFlight: number, count: number): Promise<Run> {
  const ns = names(t.secure ? 'sec' : 'api', count);
  const bodies = ns.map((n) => JSON.stringify(service(n)));
  return measured(count, () => drive(count, inFlight, (i) => post(t, bodies[i]!)), t.secure ? securePids : pids);
}

/** The flags of the locked-down server: etcd over TLS with the client certificate, HTTPS, tokens (a limit no bench reaches). */
function secureFlags(etcd: TestEtcd, tokensFile: string): string[] {
  const pki = etcd.pki!;
  return [
    ...(LOCKED.has('etcd-tls') ? ['--etcd-ca', join(pki, 'ca.pem'), '--etcd-cert', join(pki, 'etcd-client.pem'), '--etcd-key', join(pki, 'etcd-client-key.pem')] : []),
    ...(LOCKED.has('api-tls') ? ['--tls-cert', join(pki, 'api.pem'), '--tls-key', join(pki, 'api-key.pem')] : []),
    ...(LOCKED.has('tokens') ? ['--tokens', tokensFile, '--rate-limit', '1000000'] : []),
  ];
}

function startServer(etcd: TestEtcd, port: number, extra: string[] = []): ChildProcess {
  const main = join(ROOT, 'dist/cmd/stowage/main.js');
  if (!existsSync(main)) {
    process.stderr.write('dist/ is missing: make build\n');
    execFileSync('make', ['build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const profDir = join(ROOT, '.run');
  if (CPU_PROF) mkdirSync(profDir, { recursive: true });
  const flags = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  return spawn(process.execPath, [...flags, '--enable-source-maps', main, 'server', '--etcd', etcd.endpoint, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** GET /readyz over http, or over https verified against `ca`. */
function readyz(port: number, ca?: Buffer): Promise<{ leader?: string } | undefined> {
  return new Promise((resolve) => {
    const req = (ca ? httpsRequest : request)({ host: '127.0.0.1', port, path: '/readyz', ...(ca ? { ca } : {}), timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as { leader?: string }) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function waitReady(port: number, server: ChildProcess, ca?: Buffer): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`stowage server exited ${server.exitCode}`);
    const ok = (await readyz(port, ca))?.leader === 'bench';
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('stowage server not ready after 30 s');
}

async function main(): Promise<void> {
  const results = new Map<string, Run[]>();
  const add = (k: string, r: Run) => results.set(k, [...(results.get(k) ?? []), r]);
  const etcd = await startEtcd();
  const secureEtcd = await startEtcd({ tls: LOCKED.has('etcd-tls') });
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  // the CA and certificates: the TLS etcd's, or (without etcd-tls) a CA of their own
  const pki = secureEtcd.pki ?? execFileSync(join(ROOT, 'hack/ca.sh'), [`${join(ROOT, '.run')}/bench-pki-${process.pid}`]).toString().trim();
  secureEtcd.pki = pki;
  const secureClient = newEtcdClient({
    endpoints: secureEtcd.endpoint,
    ...(LOCKED.has('etcd-tls') ? { tls: { ca: readFileSync(join(pki, 'ca.pem')), cert: readFileSync(join(pki, 'etcd-client.pem')), key: readFileSync(join(pki, 'etcd-client-key.pem')) } } : {}),
  });
  const election = new Election(client, { ttl: 5, identity: 'bench' }, nopLogger);
  const secureElection = new Election(secureClient, { ttl: 5, identity: 'bench' }, nopLogger);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const ca = readFileSync(join(pki, 'ca.pem'));
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, ca });
  const token = randomBytes(24).toString('hex');
  const tokensFile = join(pki, 'tokens.yaml');
  writeFileSync(tokensFile, `tokens:\n  - {user: bench, role: admin, sha256: ${createHash('sha256').update(token).digest('hex')}}\n`, { mode: 0o600 });
  const servers: ChildProcess[] = [];
  try {
    // hold leadership: the servers under test stay standbys and run no loops
    for (const e of [election, secureElection]) {
      const elected = new Promise((r) => e.once('elected', r));
      await e.start();
      await elected;
    }
    const port = await freePort();
    const server = startServer(etcd, port);
    servers.push(server);
    const securePort = await freePort();
    const secureServer = startServer(secureEtcd, securePort, secureFlags(secureEtcd, tokensFile));
    servers.push(secureServer);
    await waitReady(port, server);
    await waitReady(securePort, secureServer, LOCKED.has('api-tls') ? ca : undefined);
    pids.server = server.pid;
    pids.etcd = Number(readFileSync(join(ROOT, `.run/etcd-${etcd.port}.pid`), 'utf8').trim());
    securePids.server = secureServer.pid;
    securePids.etcd = Number(readFileSync(join(ROOT, `.run/etcd-${secureEtcd.port}.pid`), 'utf8').trim());
    const open: Target = { port, agent };
    const secure: Target = { port: securePort, agent: LOCKED.has('api-tls') ? httpsAgent : new Agent({ keepAlive: true, maxSockets: 64 }), secure: { token, tls: LOCKED.has('api-tls') } };
    process.stderr.write(
      `etcd 127.0.0.1:${etcd.port}, server 127.0.0.1:${port}; locked down: etcd https://127.0.0.1:${secureEtcd.port}, server https://127.0.0.1:${securePort}; ${COUNT} objects per run, ${ROUNDS} rounds, ${cpus().length} CPUs\n`,
    );
    // warm-up: connections (TLS sessions), JIT, etcd's first allocations
    await rawRun(client, 64, WARMUP);
    await apiRun(open, 64, WARMUP);
    await apiRun(secure, 64, WARMUP);
    await rawRun(client, 1, Math.min(200, WARMUP));
    await apiRun(open, 1, Math.min(200, WARMUP));
    await apiRun(secure, 1, Math.min(200, WARMUP));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const inFlight of [1, 64]) {
        const raw = await rawRun(client, inFlight, COUNT);
        add(`raw ${inFlight}`, raw);
        // alternate which API goes first, so neither always follows the raw run
        const order = round % 2 ? [open, secure] : [secure, open];
        const got = new Map<Target, Run>();
        for (const t of order) got.set(t, await apiRun(t, inFlight, COUNT));
        add(`api ${inFlight}`, got.get(open)!);
        add(`sec ${inFlight}`, got.get(secure)!);
        process.stderr.write(
          `round ${round}, ${inFlight} in flight: raw ${raw.perSecond.toFixed(0)}/s, API ${got.get(open)!.perSecond.toFixed(0)}/s, API with TLS and tokens ${got.get(secure)!.perSecond.toFixed(0)}/s\n`,
        );
      }
    }
  } finally {
    agent.destroy();
    httpsAgent.destroy();
    await Promise.all(
      servers.map(async (s) => {
        if (s.exitCode !== null) return;
        const exited = new Promise((r) => s.once('exit', r));
        s.kill('SIGTERM');
        const t = setTimeout(() => s.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }),
    );
    await election.stop().catch(() => undefined);
    await secureElection.stop().catch(() => undefined);
    client.close();
    secureClient.close();
    etcd.stop();
    secureEtcd.stop();
    if (!LOCKED.has('etcd-tls')) rmSync(pki, { recursive: true, force: true });
  }

  const row = (label: string, key: string, inFlight: number) => {
    const runs = results.get(key)!;
    const per = runs.map((r) => r.perSecond);
    return {
      label,
      inFlight,
      perSecond: median(per),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      cpu: {
        etcd: median(runs.map((r) => r.cpu.etcd)),
        server: median(runs.map((r) => r.cpu.server)),
        client: median(runs.map((r) => r.cpu.client)),
      },
      all: per.map((x) => x.toFixed(0)).join(' / '),
    };
  };
  const rows = [
    row('raw etcd3 put', 'raw 1', 1),
    row('API POST /api/v1/services', 'api 1', 1),
    row('raw etcd3 put', 'raw 64', 64),
    row('API POST /api/v1/services', 'api 64', 64),
    row('  with TLS and tokens', 'sec 1', 1),
    row('  with TLS and tokens', 'sec 64', 64),
  ];
  const out: string[] = [];
  out.push(`objects created per second: ${COUNT} per run, median of ${ROUNDS} runs (server a standby, keep-alive HTTP)`);
  out.push('');
  out.push(`${''.padEnd(27)} ${''.padStart(9)} ${''.padStart(10)} ${''.padStart(8)} ${''.padStart(8)}  ${'CPU ms per object'.padEnd(22)}`);
  out.push(
    `${'path'.padEnd(27)} ${'in flight'.padStart(9)} ${'objects/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  ${'etcd'.padStart(6)} ${'server'.padStart(7)} ${'client'.padStart(7)}   runs/s`,
  );
  const f2 = (x: number) => x.toFixed(2);
  for (const r of rows) {
    const server = r.label.startsWith('raw') ? '-' : f2(r.cpu.server);
    if (r === rows[4]) out.push(`locked down: ${[...LOCKED].map((l) => ({ 'api-tls': 'HTTPS to the server', tokens: 'Authorization: Bearer (--tokens)', 'etcd-tls': 'etcd over TLS with a client certificate' })[l]).join(', ')}`);
    out.push(
      `${r.label.padEnd(27)} ${String(r.inFlight).padStart(9)} ${r.perSecond.toFixed(0).padStart(10)} ${f2(r.p50).padStart(8)} ${f2(r.p99).padStart(8)}  ${f2(r.cpu.etcd).padStart(6)} ${server.padStart(7)} ${f2(r.cpu.client).padStart(7)}   ${r.all}`,
    );
  }
  const ratio1 = rows[1]!.perSecond / rows[0]!.perSecond;
  const ratio64 = rows[3]!.perSecond / rows[2]!.perSecond;
  out.push('');
  const perRound = (n: number) =>
    results
      .get(`api ${n}`)!
      .map((a, i) => (a.perSecond / results.get(`raw ${n}`)![i]!.perSecond).toFixed(2))
      .join(' / ');
  out.push(`API/raw at  1 in flight: ${ratio1.toFixed(2)}   (round by round: ${perRound(1)})`);
  out.push(`API/raw at 64 in flight: ${ratio64.toFixed(2)}   (round by round: ${perRound(64)})`);
  out.push(`goal (API >= 0.5 x raw at 64 in flight): ${ratio64 >= 0.5 ? 'met' : 'MISSED'}`);
  const sec1 = rows[4]!.perSecond / rows[1]!.perSecond;
  const sec64 = rows[5]!.perSecond / rows[3]!.perSecond;
  const perRoundSec = (n: number) =>
    results
      .get(`sec ${n}`)!
      .map((a, i) => (a.perSecond / results.get(`api ${n}`)![i]!.perSecond).toFixed(2))
      .join(' / ');
  out.push(`locked down/open at  1 in flight: ${sec1.toFixed(2)}   (round by round: ${perRoundSec(1)})`);
  out.push(`locked down/open at 64 in flight: ${sec64.toFixed(2)}   (round by round: ${perRoundSec(64)})`);
  out.push(`goal (locked down >= 0.8 x open at 64 in flight): ${sec64 >= 0.8 ? 'met' : 'MISSED'}`);
  // CPU per object is steadier than throughput on a shared machine: what TLS and tokens cost each process
  const cpuRatio = (k: 'etcd' | 'server' | 'client') => (rows[5]!.cpu[k] / rows[3]!.cpu[k]).toFixed(2);
  out.push(`CPU per object at 64 in flight, locked down/open: server ${cpuRatio('server')}, etcd ${cpuRatio('etcd')}, client ${cpuRatio('client')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (CPU_PROF) process.stdout.write(`server CPU profile: ${join(ROOT, '.run')}/*.cpuprofile\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:api failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
