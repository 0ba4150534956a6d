/**
 * The soak's cluster and churn, shared by `npm run bench:soak` (30 minutes,
 * ~1,000 tasks) and test/integration/soak.test.ts (2 minutes, ~300 tasks):
 *
 *   etcd ◄── stowage server (all leader loops)
 *     ▲
 *     ├── stowage agent --driver sim --nodes N   soak0-*   ┐ 2-3 processes, so one
 *     ├── stowage agent --driver sim --nodes N   soak1-*   ├ can be killed -9 and
 *     └── stowage agent --driver sim --nodes N   soak2-*   ┘ started again
 *
 * churn() does one thing per tick, in turn: scale a service up or down, roll
 * one (a new env, every other time a new command too), scale again, apply or
 * delete a throw-away service. Every killEveryTicks ticks it kills an agent
 * with SIGKILL (its nodes go NotReady, their tasks Lost and replaced) and
 * starts it again downTicks later. convergence() says what is not yet as
 * the churn left it wanted, or undefined once everything is.
 *
 * Tasks are spread over the nodes, and nodes are small (2 cpus, tasks 0.1
 * cpu: at most 20 tasks a node), so a dead node's tasks fit in one etcd
 * transaction (128 operations).
 */
import type { Etcd3 } from 'etcd3';
import { API_VERSION, TERMINAL_STATES, type Node, type Service, type ServiceSpec, type Task } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { NODE, spawnAgent, type AgentProc } from './agent.js';
import { startEtcd, type TestEtcd } from './etcd.js';
import { SERVICE, TASK, spawnServer, type ServerProc } from './stowage.js';
import { sleep } from './wait.js';

export interface SoakConfig {
  /** Steady services, each with `instances` tasks to begin with. */
  services: number;
  instances: number;
  /** Scaling moves a service between instances * (1 - spread) and * (1 + spread). */
  spread: number;
  /** Instances of the throw-away service applied and deleted. */
  tempInstances: number;
  agents: number;
  nodesPerAgent: number;
  tickMs: number;
  killEveryTicks: number;
  downTicks: number;
  /** The server's --node-lost-grace. */
  nodeLostGraceS: number;
}

export const TASK_CPUS = 0.1;
export const NODE_CPUS = 2;

export interface SoakCluster {
  etcd: TestEtcd;
  client: Etcd3;
  store: Store;
  server: ServerProc;
  /** Index -> the running process, or undefined while killed. */
  agents: (AgentProc | undefined)[];
  /** What the churn last asked for: service -> instances and template generation. */
  desired: Map<string, { instances: number; roll: number }>;
  /** Services the churn deleted (none of their tasks may remain). */
  deleted: Set<string>;
  startAgent(i: number): Promise<void>;
  stop(): Promise<void>;
}

export const agentPrefix = (i: number) => `soak${i}-`;
const serviceName = (i: number) => `soak-${i}`;
const TEMP = 'soak-temp';
const OWNER = 'stowage/owner';

export async function startSoakCluster(cfg: SoakConfig): Promise<SoakCluster> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  let server: ServerProc | undefined;
  const agents: (AgentProc | undefined)[] = new Array(cfg.agents).fill(undefined);
  const c: SoakCluster = {
    etcd,
    client,
    store,
    get server() {
      return server!;
    },
    agents,
    desired: new Map(),
    deleted: new Set(),
    startAgent: async (i) => {
      agents[i] = await spawnAgent(
        ['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', String(cfg.nodesPerAgent), '--node-prefix', agentPrefix(i), '--cpus', String(NODE_CPUS), '--mem', '4096', '--disk', '1000', '--heartbeat-ttl', '2'],
        { readyTimeoutMs: 60_000 },
      );
    },
    stop: async () => {
      await server?.stop().catch(() => undefined);
      for (const a of agents) await a?.stop('SIGKILL').catch(() => undefined);
      client.close();
      etcd.stop();
    },
  };
  try {
    server = await spawnServer(etcd.endpoint, ['--node-lost-grace', String(cfg.nodeLostGraceS), '--log-level', 'warn']);
    await Promise.all(agents.map((_, i) => c.startAgent(i)));
  } catch (e) {
    await c.stop();
    throw e;
  }
  return c;
}

/** The manifest a user would apply (the server fills in the defaults). */
function manifest(name: string, instances: number, roll: number): Omit<Service, 'spec'> & { spec: Partial<ServiceSpec> } {
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: 'soak' } },
    spec: {
      image: 'localhost/stowage-busybox:1',
      command: roll % 2 === 0 ? ['sleep', 'infinity'] : ['sleep', '999999'],
      env: { SOAK_ROLL: String(roll) },
      instances,
      resources: { cpus: TASK_CPUS, mem: 32, disk: 0 },
      killGracePeriodSeconds: 1,
      // Over every node, so each kill -9 takes a third of the tasks with it.
      placement: 'spread',
      // Rolls in steps of a fifth, never below 80% ready: several steps per roll.
      upgradeStrategy: { minimumHealthCapacity: 0.8, maximumOverCapacity: 0.2 },
    },
  };
}

async function api(c: SoakCluster, method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(`${c.server.url}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

async function apply(c: SoakCluster, name: string, instances: number, roll: number): Promise<void> {
  await api(c, 'POST', '/api/v1/apply', { items: [manifest(name, instances, roll)] });
  c.desired.set(name, { instances, roll });
  c.deleted.delete(name);
}

/** Apply the steady services; resolves once every node is Ready and every task Running. */
export async function deploy(c: SoakCluster, cfg: SoakConfig, timeoutMs: number): Promise<void> {
  await waitFor(c, 'every node Ready', async () => (await nodes(c)).filter((n) => n.status?.state === 'Ready').length === cfg.agents * cfg.nodesPerAgent, timeoutMs);
  for (let i = 0; i < cfg.services; i++) await apply(c, serviceName(i), cfg.instances, 0);
  await waitFor(c, 'the services converged', async () => (await convergence(c)) === undefined, timeoutMs);
}

export interface ChurnStats {
  ticks: number;
  scales: number;
  rolls: number;
  applies: number;
  deletes: number;
  kills: number;
  restarts: number;
  /** Of the nodes of killed agents, how many were NotReady when the agent came back. */
  nodesDown: number;
  nodesKilled: number;
  /** The most tasks one killed node held: each must fit in one etcd transaction. */
  maxTasksOnKilledNode: number;
  /** API requests the churn made that failed (each is logged). */
  apiErrors: number;
}

/** Churn for durationMs; every agent is running again when it resolves. */
export async function churn(c: SoakCluster, cfg: SoakConfig, durationMs: number, log: (line: string) => void): Promise<ChurnStats> {
  const st: ChurnStats = { ticks: 0, scales: 0, rolls: 0, applies: 0, deletes: 0, kills: 0, restarts: 0, nodesDown: 0, nodesKilled: 0, maxTasksOnKilledNode: 0, apiErrors: 0 };
  const start = Date.now();
  const targets = [1 + cfg.spread, 1 - cfg.spread, 1];
  let scaleTurn = 0;
  let rollTurn = 0;
  let nextKill = 0;
  const down = new Map<number, number>(); // agent -> tick at which it starts again
  const step = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      st.apiErrors++;
      log(`churn: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const restart = async (i: number) => {
    down.delete(i);
    const mine = (await nodes(c)).filter((n) => n.metadata.name.startsWith(agentPrefix(i)));
    st.nodesDown += mine.filter((n) => n.status?.state === 'NotReady').length;
    await c.startAgent(i);
    st.restarts++;
  };
  for (let tick = 0; Date.now() - start < durationMs; tick++) {
    st.ticks++;
    for (const [i, at] of down) if (tick >= at) await restart(i);
    const i = nextKill % cfg.agents;
    if (tick % cfg.killEveryTicks === Math.floor(cfg.killEveryTicks / 4) && c.agents[i]) {
      nextKill++;
      const mine = (await nodes(c)).filter((n) => n.metadata.name.startsWith(agentPrefix(i)));
      const held = mine.map((n) => Object.keys(n.status?.tasks ?? {}).length);
      await c.agents[i]!.stop('SIGKILL');
      c.agents[i] = undefined;
      down.set(i, tick + cfg.downTicks);
      st.kills++;
      st.nodesKilled += mine.length;
      st.maxTasksOnKilledNode = Math.max(st.maxTasksOnKilledNode, ...held);
      log(`churn: kill -9 agent ${i} (${mine.length} nodes, ${held.reduce((a, b) => a + b, 0)} tasks, at most ${Math.max(...held)} on a node)`);
    }
    switch (tick % 4) {
      case 0:
      case 2: {
        const name = serviceName(scaleTurn % cfg.services);
        const instances = Math.round(cfg.instances * targets[Math.floor(scaleTurn / cfg.services) % targets.length]!);
        scaleTurn++;
        await step(`scale ${name}`, () => apply(c, name, instances, c.desired.get(name)!.roll));
        st.scales++;
        break;
      }
      case 1: {
        const name = serviceName(rollTurn++ % cfg.services);
        const d = c.desired.get(name)!;
        await step(`roll ${name}`, () => apply(c, name, d.instances, d.roll + 1));
        st.rolls++;
        break;
      }
      case 3:
        if (c.desired.has(TEMP)) {
          await step(`delete ${TEMP}`, async () => {
            await api(c, 'DELETE', `/api/v1/services/default/${TEMP}`);
            c.desired.delete(TEMP);
            c.deleted.add(TEMP);
          });
          st.deletes++;
        } else {
          await step(`apply ${TEMP}`, () => apply(c, TEMP, cfg.tempInstances, 0));
          st.applies++;
        }
        break;
    }
    await sleep(Math.max(0, start + (tick + 1) * cfg.tickMs - Date.now()));
  }
  for (const i of down.keys()) await restart(i);
  return st;
}

async function nodes(c: SoakCluster): Promise<Node[]> {
  return (await c.store.list<Node>(NODE)).items.map((s) => s.object);
}

/**
 * What is not yet as the churn wants it, or undefined once everything is:
 * every node Ready; each service's status says its deployment is complete
 * with all its instances running; etcd holds exactly that many live tasks
 * for it, all Running, of its current template; no task of a deleted service.
 */
export async function convergence(c: SoakCluster): Promise<string | undefined> {
  const notReady = (await nodes(c)).filter((n) => n.status?.state !== 'Ready');
  if (notReady.length) return `${notReady.length} nodes not Ready (${notReady[0]!.metadata.name}...)`;
  const tasks = (await c.store.list<Task>(TASK, 'default')).items.map((s) => s.object);
  const byOwner = new Map<string, Task[]>();
  for (const t of tasks) {
    const o = t.metadata.labels?.[OWNER] ?? '';
    byOwner.set(o, [...(byOwner.get(o) ?? []), t]);
  }
  for (const name of c.deleted) {
    const left = byOwner.get(`service/${name}`)?.length ?? 0;
    if (left) return `${left} tasks of deleted service ${name} remain`;
  }
  for (const [name, want] of c.desired) {
    const svc = (await c.store.get<Service>(SERVICE, 'default', name))?.object;
    const s = svc?.status;
    if (!svc || !s) return `${name}: no status yet`;
    if (s.observedGeneration !== svc.metadata.generation) return `${name}: status of generation ${s.observedGeneration}, spec at ${svc.metadata.generation}`;
    if (s.deployment?.state !== 'complete' || s.running !== want.instances) {
      return `${name}: deployment ${s.deployment?.state}, ${s.running}/${want.instances} running`;
    }
    const mine = byOwner.get(`service/${name}`) ?? [];
    const live = mine.filter((t) => !TERMINAL_STATES.has(t.status?.state ?? 'Pending'));
    const good = live.filter((t) => t.status?.state === 'Running' && t.spec.desiredState !== 'Killed' && t.spec.env?.SOAK_ROLL === String(want.roll));
    if (live.length !== want.instances || good.length !== want.instances) {
      return `${name}: ${live.length} live tasks, ${good.length} Running on the current template, want ${want.instances}`;
    }
  }
  return undefined;
}

async function waitFor(c: SoakCluster, what: string, f: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f().catch(() => false))) {
    if (Date.now() > end) {
      throw new Error(`not ${what} after ${timeoutMs} ms: ${(await convergence(c).catch((e) => String(e))) ?? 'converged'}\nserver: ${c.server.output.slice(-10).join('\n')}`);
    }
    await sleep(500);
  }
}

/** Wait until convergence() holds; resolves with the milliseconds it took. */
export async function converge(c: SoakCluster, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(c, 'converged', async () => (await convergence(c)) === undefined, timeoutMs);
  return Date.now() - t0;
}
