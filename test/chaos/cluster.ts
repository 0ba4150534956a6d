/**
 * The chaos test's cluster, every process of it killable and started again
 * where its clients look for it:
 *
 *   etcd ×3 (hack/etcd.sh, ETCD_MEMBERS=3) ◄── stowage server ×2 (--etcd all three, lease TTL 2 s)
 *                                                   ▲ fixed ports: a server killed comes back on its own
 *                                                   │
 *   stowage agent ×3 (--server both URLs) ──────────┘──► one private dockerd (its own socket)
 *
 * Processes run from bin/ when `make build` made it (a restart costs a
 * second, not the five of tsx). stop() ends what it started, by PID, removes
 * the containers by their node label, and purges the private engine.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { ROOT, spawnAgent, type AgentProc } from '../helpers/agent.js';
import { privateDockerd, removeNodeContainers, type PrivateDockerd } from '../helpers/docker.js';
import { freePort, startEtcdCluster, type TestEtcdCluster } from '../helpers/etcd.js';
import { leaderKey, serverOf } from '../helpers/failover.js';
import { portRange, spawnServer, type ServerProc } from '../helpers/stowage.js';

export const LEASE_TTL_S = 2;
export const NODE_LOST_GRACE_S = 6;
export const HEARTBEAT_TTL_S = 2;

export interface ChaosCluster {
  etcd: TestEtcdCluster;
  client: Etcd3;
  store: Store;
  dockerd: PrivateDockerd;
  /** The two servers as they run now (a restart replaces the entry). */
  servers: ServerProc[];
  /** Every server process ever started, for their logs. */
  allServers: ServerProc[];
  agents: Map<string, AgentProc>;
  nodes: string[];
  /** The server etcd says leads, if it is one of ours and alive. */
  leader(): Promise<ServerProc | undefined>;
  /** Start server i again on its port (after a kill). */
  restartServer(i: number): Promise<ServerProc>;
  startAgent(node: string): Promise<AgentProc>;
  /** hack/dockerd.sh restart of the private engine, without blocking the event loop. */
  restartDockerd(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * containerd shims of this engine that outlived it: an engine SIGKILLed while
 * it stopped its containers (hack/dockerd.sh gives it 15 s) leaves them behind.
 * Found by the engine's own exec root (its socket's name), killed by PID.
 */
function killOrphanShims(socket: string): void {
  const root = `/run/stowage-docker-${basename(socket, '.sock')}/`;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('containerd-shim') && cmd.includes(root)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

const alive = (s: ServerProc) => s.child.exitCode === null && s.child.signalCode === null;

export async function startChaosCluster(tag: string): Promise<ChaosCluster> {
  const built = existsSync(resolve(ROOT, 'bin/stowage'));
  if (built && !process.env.STOWAGE_BIN) process.env.STOWAGE_BIN = resolve(ROOT, 'bin/stowage');
  if (existsSync(resolve(ROOT, 'bin/stowctl')) && !process.env.STOWCTL_BIN) process.env.STOWCTL_BIN = resolve(ROOT, 'bin/stowctl');
  const etcd = await startEtcdCluster(3);
  const client = newEtcdClient({ endpoints: etcd.endpoints });
  const store = new Store(client);
  const ports = [await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const servers: ServerProc[] = [];
  const allServers: ServerProc[] = [];
  const agents = new Map<string, AgentProc>();
  const nodes = ['a', 'b', 'c'].map((x) => `chaos-${tag}-${x}`);
  let dockerd: PrivateDockerd | undefined;
  const serverArgs = ['--lease-ttl', String(LEASE_TTL_S), '--node-lost-grace', String(NODE_LOST_GRACE_S), '--log-level', process.env.STOWAGE_LOG_LEVEL ?? 'info'];
  const spawn = async (i: number, until: 'leading' | 'leader-known') => {
    const s = await spawnServer(etcd.endpoints, serverArgs, [], { until, built, port: ports[i]! });
    servers[i] = s;
    allServers.push(s);
    return s;
  };
  const c: ChaosCluster = {
    etcd,
    client,
    store,
    get dockerd() {
      return dockerd!;
    },
    servers,
    allServers,
    agents,
    nodes,
    leader: async () => {
      const s = serverOf(servers, (await leaderKey(client))?.identity);
      return s && alive(s) ? s : undefined;
    },
    restartServer: (i) => spawn(i, 'leader-known'),
    startAgent: async (node) => {
      const i = nodes.indexOf(node);
      const a = await spawnAgent([
        '--server', urls.join(','),
        '--node', node,
        '--docker-socket', dockerd!.socket,
        '--cpus', '4', '--mem', '4096', '--disk', '1000',
        '--heartbeat-ttl', String(HEARTBEAT_TTL_S),
        '--ports', portRange(20 + i),
        '--usage-interval', '0',
      ]);
      agents.set(node, a);
      return a;
    },
    restartDockerd: () =>
      new Promise<void>((res, rej) =>
        execFile(resolve(ROOT, 'hack/dockerd.sh'), ['restart', '--socket', dockerd!.socket], { cwd: ROOT, timeout: 120_000 }, (e, _o, err) =>
          e ? rej(new Error(`hack/dockerd.sh restart: ${err || e.message}`)) : res(),
        ),
      ),
    stop: async () => {
      for (const s of allServers) await s.stop('SIGKILL').catch(() => undefined);
      for (const a of agents.values()) await a.stop('SIGKILL').catch(() => undefined);
      if (dockerd) {
        for (const n of nodes) await removeNodeContainers(n, dockerd.socket).catch(() => undefined);
        try {
          dockerd.stop();
        } catch {
          // already gone
        }
        killOrphanShims(dockerd.socket);
      }
      client.close();
      etcd.stop();
    },
  };
  try {
    dockerd = privateDockerd('chaos');
    await spawn(0, 'leading');
    await spawn(1, 'leader-known');
    for (const n of nodes) await c.startAgent(n);
  } catch (e) {
    await c.stop();
    throw e;
  }
  return c;
}
