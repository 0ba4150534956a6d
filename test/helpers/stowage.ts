/**
 * A whole Stowage on this machine for the services end-to-end tests and
 * benchmarks: a private etcd, one `stowage server` (all leader loops) and
 * agents as child processes, driven through `stowctl` like a user would.
 *
 *   etcd ◄── stowage server (API, scheduler, services, nodes, gc)
 *     ▲            ▲
 *     │            └── stowctl apply / scale / rollout ...
 *     └── stowage agent --node A | B | C  ──► Docker (or hollow nodes)
 *
 * Processes run from the sources through tsx unless STOWAGE_BIN /
 * STOWCTL_BIN name built binaries. Everything listens on loopback; stop()
 * kills what was started, by PID, and removes the agents' containers by
 * their stowage.node label.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import { TERMINAL_STATES, type Service, type Task } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { removeNodeContainers } from './docker.js';
import { freePort, startEtcd, type TestEtcd } from './etcd.js';
import { ROOT, spawnAgent, type AgentProc } from './agent.js';
import { stowageCommand, stowctlCommand } from './commands.js';
import { sleep } from './wait.js';
import { scanLog } from './suite-scan.js';

export const SERVICE = lookupKind('Service')!;
export const TASK = lookupKind('Task')!;

export interface ServerProc {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  /** Run bin/stowage (from `make build`) instead of the sources. */
  built?: boolean;
  /** Resolve once the server leads (default), once it knows who leads, or once it answers at all. */
  until?: 'leading' | 'leader-known' | 'up';
  /** Listen on this loopback port (a server started again where its clients look for it); default a free one. */
  port?: number;
}

/** What bin/stowage gives node for a server (cmd/stowage/stowage.sh): a server run from the sources gets it too. */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];

/** `stowage server` on a free loopback port; resolves once it is the leader (see SpawnOptions). */
export async function spawnServer(etcd: string, args: string[] = [], extraNodeArgs: string[] = [], opts: SpawnOptions = {}): Promise<ServerProc> {
  const port = opts.port ?? (await freePort());
  const built = resolve(ROOT, 'bin/stowage');
  if (opts.built && !existsSync(built)) throw new Error('run `make build` first: bin/stowage is missing');
  const [cmd, ...pre] = opts.built ? [built] : stowageCommand();
  const until = opts.until ?? 'leading';
  const nodeArgs = cmd === process.execPath ? [...SERVER_NODE_FLAGS, ...extraNodeArgs] : [];
  const child = spawn(cmd!, [...nodeArgs, ...pre, 'server', '--etcd', etcd, '--listen', `127.0.0.1:${port}`, '--lease-ttl', '2', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STOWAGE_LOG_LEVEL: process.env.STOWAGE_LOG_LEVEL ?? 'info' },
  });
  const output: string[] = [];
  const copy = scanLog('server', child.pid);
  const keep = (d: Buffer) => {
    copy(d);
    for (const l of d.toString().split('\n')) if (l) output.push(l);
    if (output.length > 2000) output.splice(0, output.length - 2000);
    if (process.env.SERVER_DEBUG) process.stderr.write(`[server] ${d}`);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stowage server exited ${child.exitCode}:\n${output.slice(-20).join('\n')}`);
    const r = await fetch(`${url}/readyz`).then((x) => x.json() as Promise<{ isLeader?: boolean; leader?: string | null }>, () => undefined);
    if (until === 'up' ? r !== undefined : until === 'leader-known' ? !!r?.leader : r?.isLeader) break;
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`stowage server not ${until} after 30 s:\n${output.slice(-20).join('\n')}`);
    }
    await sleep(100);
  }
  return {
    url,
    child,
    output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface Result {
  code: number;
  out: string;
  err: string;
}

/** Run stowctl against the server; resolves with exit code and output. */
export function stowctl(url: string, args: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<Result> {
  const [cmd, ...pre] = stowctlCommand();
  return new Promise((res) => {
    const p = execFile(cmd!, [...pre, ...args], { cwd: ROOT, env: { ...process.env, STOWAGE_SERVER: url }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 }, (e, out, err) =>
      res({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
    );
    if (opts.stdin !== undefined) p.stdin!.end(opts.stdin);
  });
}

export interface Cluster {
  etcd: TestEtcd;
  client: Etcd3;
  store: Store;
  server: ServerProc;
  agents: Map<string, AgentProc>;
  /** The flags each agent was started with, to start it again. */
  agentArgs: Map<string, string[]>;
  startAgent(node: string, extra?: string[]): Promise<AgentProc>;
  stop(): Promise<void>;
}

/**
 * A port range of its own per test process, so test files can run side by
 * side: one of 200 ranges of 100 ports in 11000-30999, above the servers'
 * default service ports (10000-10999) and below the kernel's ephemeral
 * ports (32768-60999), where etcd, the servers (listen(0)) and every
 * outgoing connection take theirs: a task's port there could be taken
 * already and its container fail.
 */
export function portRange(slot: number): string {
  const base = 11000 + ((process.pid * 7 + slot * 131) % 200) * 100;
  return `${base}-${base + 99}`;
}

export async function startCluster(opts: { nodes: string[]; serverArgs?: string[]; agentArgs?: string[]; serverNodeArgs?: string[] }): Promise<Cluster> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  const agents = new Map<string, AgentProc>();
  const agentArgs = new Map<string, string[]>();
  let server: ServerProc | undefined;
  const cluster: Cluster = {
    etcd,
    client,
    store,
    get server() {
      return server!;
    },
    agents,
    agentArgs,
    startAgent: async (node, extra = []) => {
      const args = agentArgs.get(node) ?? ['--etcd', etcd.endpoint, '--node', node, '--cpus', '4', '--mem', '4096', '--disk', '1000', '--heartbeat-ttl', '2', '--ports', portRange(agentArgs.size), ...(opts.agentArgs ?? []), ...extra];
      agentArgs.set(node, args);
      const a = await spawnAgent(args);
      agents.set(node, a);
      return a;
    },
    stop: async () => {
      await server?.stop().catch(() => undefined);
      for (const a of agents.values()) await a.stop('SIGKILL').catch(() => undefined);
      for (const n of agentArgs.keys()) await removeNodeContainers(n).catch(() => undefined);
      client.close();
      etcd.stop();
    },
  };
  try {
    server = await spawnServer(etcd.endpoint, opts.serverArgs, opts.serverNodeArgs);
    for (const n of opts.nodes) await cluster.startAgent(n);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

// ---- reading state ----

export async function getService(store: Store, name: string): Promise<Service | undefined> {
  return (await store.get<Service>(SERVICE, 'default', name))?.object;
}

export async function serviceTasks(store: Store, name: string): Promise<Task[]> {
  return (await store.list<Task>(TASK, 'default')).items.map((s) => s.object).filter((t) => t.metadata.labels?.['stowage/owner'] === `service/${name}`);
}

export const isLive = (t: Task): boolean => !TERMINAL_STATES.has(t.status?.state ?? 'Pending');
export const isHealthy = (t: Task): boolean =>
  isLive(t) && t.spec.desiredState !== 'Killed' && t.status?.state === 'Running' && (!t.spec.healthChecks?.length || t.status.health === 'Healthy');

export { sleep, until } from './wait.js';

/** An HTTP GET of a task's port on loopback: its body, or undefined. */
export async function probe(port: number | undefined): Promise<string | undefined> {
  if (!port) return undefined;
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 1000);
  try {
    const r = await fetch(`http://127.0.0.1:${port}/`, { signal: ac.signal });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(t);
  }
}
