/**
 * The faults the chaos scenario injects, each one a process really killed
 * and started again, each logged and counted:
 *
 *   leader     kill -9 of the server etcd says leads; time until the other one leads; start it again
 *   agent      kill -9 of one agent; wait until its node is NotReady; start it again
 *   etcd       kill -9 of one member; a few seconds later start it again on its data
 *   dockerd    hack/dockerd.sh restart of the private engine (all three agents' containers)
 */
import type { Node } from '../../pkg/api/types.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { isLeader } from '../helpers/failover.js';
import { sleep, until } from '../helpers/wait.js';
import type { ChaosCluster } from './cluster.js';

const NODE = lookupKind('Node')!;

export interface FaultLog {
  counts: { leaderKills: number; agentRestarts: number; etcdKills: number; dockerdRestarts: number };
  /** ms from each leader kill to the other server leading. */
  takeovers: number[];
  /** What happened, in order, with times relative to the start. */
  lines: string[];
  problems: string[];
}

export function newFaultLog(t0 = Date.now()): FaultLog & { note(s: string): void } {
  const log: FaultLog & { note(s: string): void } = {
    counts: { leaderKills: 0, agentRestarts: 0, etcdKills: 0, dockerdRestarts: 0 },
    takeovers: [],
    lines: [],
    problems: [],
    note: (s) => log.lines.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`),
  };
  return log;
}

type Log = ReturnType<typeof newFaultLog>;

/** kill -9 the leader, wait for the other to lead, start the killed one again as the standby. */
export async function killLeader(c: ChaosCluster, log: Log): Promise<void> {
  const leader = await until('a leader among our servers', () => c.leader(), 30_000, 50);
  const i = c.servers.indexOf(leader);
  const other = c.servers[1 - i]!;
  const t0 = Date.now();
  await leader.stop('SIGKILL');
  log.counts.leaderKills++;
  try {
    await until('the other server to lead', async () => (await isLeader(other)) === true, 30_000, 50);
    const ms = Date.now() - t0;
    log.takeovers.push(ms);
    log.note(`kill -9 leader server${i}; server${1 - i} leads after ${ms} ms`);
  } catch (e) {
    log.problems.push(`after kill -9 of leader server${i}: ${String(e)}`);
  }
  await c.restartServer(i);
}

/** kill -9 an agent; once its node is NotReady, start it again. */
export async function restartAgent(c: ChaosCluster, node: string, log: Log): Promise<void> {
  await c.agents.get(node)!.stop('SIGKILL');
  log.counts.agentRestarts++;
  log.note(`kill -9 agent ${node}`);
  try {
    await until(`node ${node} NotReady`, async () => (await c.store.get<Node>(NODE, undefined, node))?.object.status?.state === 'NotReady', 30_000, 100);
    log.note(`node ${node} NotReady`);
  } catch (e) {
    log.problems.push(String(e));
  }
  await c.startAgent(node);
  log.note(`agent ${node} started again`);
}

/** kill -9 etcd member i, start it again after downMs. */
export async function killEtcdMember(c: ChaosCluster, i: number, downMs: number, log: Log): Promise<void> {
  c.etcd.kill(i);
  log.counts.etcdKills++;
  log.note(`kill -9 etcd member ${i}`);
  await sleep(downMs);
  await c.etcd.startAsync();
  log.note(`etcd member ${i} back`);
}

export async function restartDockerd(c: ChaosCluster, log: Log): Promise<void> {
  log.note('dockerd restart begins');
  await c.restartDockerd();
  log.counts.dockerdRestarts++;
  log.note('dockerd restarted');
}
