/**
 * A real etcd for integration tests, started and stopped by hack/etcd.sh
 * on a port of its own, so test files can run side by side. Plain http://
 * by default (quick); `startEtcd({ tls: true })` starts one that answers only
 * clients with a certificate of a throw-away CA of its own (hack/ca.sh).
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HACK = resolve(ROOT, 'hack/etcd.sh');

/** A free loopback port whose successor is free too (etcd's peer port). */
export async function freePort(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => res(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (p > 1024 && p < 65000 && (await portFree(p + 1))) return p;
  }
}

function portFree(p: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });
}

export interface TestEtcd {
  endpoint: string;
  port: number;
  /** With { tls: true }: the directory hack/ca.sh made (ca.pem, etcd-client.pem, etcd-client-key.pem, api.pem, ...). */
  pki?: string;
  stop(): void;
  /** Stop and start again on the same port with the same data (a restart). */
  restart(): void;
}

export async function startEtcd(opts: { tls?: boolean } = {}): Promise<TestEtcd> {
  const port = await freePort();
  const dir = execFileSync('mktemp', ['-d', `/tmp/stowage-test-etcd.XXXX`]).toString().trim();
  const pki = opts.tls ? `${dir}.pki` : undefined;
  const env = { ...process.env, ETCD_TLS: opts.tls ? '1' : '0' };
  const start = () =>
    execFileSync(HACK, ['start', '--port', String(port), '--dir', dir, ...(pki ? ['--pki', pki] : [])], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000, env });
  const stop = () => execFileSync(HACK, ['stop', '--port', String(port)], { stdio: 'inherit', timeout: 60_000 });
  start();
  return {
    endpoint: `${pki ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    ...(pki ? { pki } : {}),
    stop: () => {
      stop();
      execFileSync('rm', ['-rf', dir, `${dir}.log`, ...(pki ? [pki] : [])]);
    },
    restart: () => {
      stop();
      start();
    },
  };
}

/**
 * A free loopback range port..port+count-1 below the kernel's ephemeral
 * range: a member killed and started again must find its port free, and an
 * outgoing connection may take any ephemeral port as its own meanwhile.
 */
async function freeRange(count: number): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  const from = Math.min(20000, low - 2000);
  for (;;) {
    const p = from + Math.floor(Math.random() * (low - from - count));
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await portFree(p + i);
    if (ok) return p;
  }
}

export interface TestEtcdCluster {
  /** Every member's client URL, comma-separated, as --etcd takes them. */
  endpoints: string;
  /** The members' client ports (member i: ports[i]). */
  ports: number[];
  /** SIGKILL member i and wait until it is gone. */
  kill(i: number): void;
  /** The index of the member that is the raft leader now (asked with `etcdctl endpoint status`). */
  leader(): number;
  /** Start the members that are not running, on their old data; resolves once all answer. */
  start(): void;
  /** start() without blocking the event loop (a test that times other things meanwhile). */
  startAsync(): Promise<void>;
  stop(): void;
}

/**
 * A plain http:// etcd cluster of `members` members (hack/etcd.sh with
 * ETCD_MEMBERS): clients on consecutive free ports, peers on the next ones.
 */
export async function startEtcdCluster(members = 3): Promise<TestEtcdCluster> {
  const port = await freeRange(2 * members);
  const dir = execFileSync('mktemp', ['-d', `/tmp/stowage-test-etcd.XXXX`]).toString().trim();
  const env = { ...process.env, ETCD_TLS: '0', ETCD_MEMBERS: String(members) };
  const run = (cmd: string, extra: string[] = []) =>
    execFileSync(HACK, [cmd, '--port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000, env }).toString();
  run('start', ['--dir', dir]);
  const ports = Array.from({ length: members }, (_, i) => port + i);
  return {
    endpoints: run('endpoints').trim(),
    ports,
    kill: (i) => {
      const pid = Number(readFileSync(resolve(ROOT, `.run/etcd-${ports[i]}.pid`), 'utf8'));
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      for (;;) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        execFileSync('sleep', ['0.05']);
      }
    },
    leader: () => {
      const out = execFileSync('etcdctl', ['--endpoints', ports.map((p) => `127.0.0.1:${p}`).join(','), 'endpoint', 'status', '-w', 'json'], { timeout: 30_000 }).toString();
      // member ids are uint64: quote them before JSON.parse rounds them
      const status = JSON.parse(out.replace(/"(member_id|leader)":(\d+)/g, '"$1":"$2"')) as { Endpoint: string; Status: { header: { member_id: string }; leader: string } }[];
      const lead = status.find((e) => e.Status.header.member_id === e.Status.leader);
      if (!lead) throw new Error(`no member is the raft leader: ${JSON.stringify(status)}`);
      return ports.findIndex((p) => lead.Endpoint.endsWith(`:${p}`));
    },
    start: () => void run('start', ['--dir', dir]),
    startAsync: () =>
      new Promise<void>((res, rej) =>
        execFile(HACK, ['start', '--port', String(port), '--dir', dir], { timeout: 60_000, env }, (e, _out, err) => (e ? rej(new Error(`hack/etcd.sh start: ${err || e.message}`)) : res())),
      ),
    stop: () => {
      run('stop');
      execFileSync('rm', ['-rf', dir]);
    },
  };
}
