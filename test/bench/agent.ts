/**
 * `npm run bench:agent`: how long from a task's binding to its status
 * saying Running, beside plain `docker run -d` of the same image, command
 * and limits, measured in the same run on the same engine.
 *
 *   agent:  binding txn commits ──► agent sees the assignment ──► create+start
 *           ──► status Running written ──► seen here through a watch
 *   docker: `docker run -d ...` spawned ──► the CLI returns (container started)
 *
 * Rounds interleave agent and docker so drift hits both. Prints medians and
 * the ratio agent/docker for 1 task and for 50 at once (the goal: 1.2x).
 *   --rounds N   (default 5)      --batch N   (default 50)
 *   --hollow     also: 1,000 hollow nodes, 10,000 tasks bound -> all Running
 */
import { spawn } from 'node:child_process';
import type { Etcd3 } from 'etcd3';
import type { Task } from '../../pkg/api/types.js';
import { forEachLimit } from '../../pkg/util/limiter.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store, type Stored } from '../../pkg/store/store.js';
import { addBindings } from '../../pkg/store/binding.js';
import { ensureDocker, IMAGE, removeNodeContainers, testNodeName } from '../helpers/docker.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { containersOf, createAndBind, NODE, newTask, spawnAgent, TASK, watchStates, type AgentProc } from '../helpers/agent.js';
import { median } from './stats.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 5);
const BATCH = arg('batch', 50);
const HOLLOW = process.argv.includes('--hollow');
const COMMAND = ['sleep', '600'];
const CPUS = 0.1;
const MEM = 32;

const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;

let seq = 0;

/** Bind `n` fresh tasks at once; resolve with each one's bound->Running time (ms). */
async function agentRound(client: Etcd3, store: Store, node: string, n: number): Promise<number[]> {
  const tasks = Array.from({ length: n }, () => newTask(`bench-${++seq}`, { command: COMMAND, resources: { cpus: CPUS, mem: MEM, disk: 0 }, killGracePeriodSeconds: 0 }));
  const w = await watchStates(client, tasks.map((t) => t.metadata.name), 'Running');
  const { committedAt } = await createAndBind(store, node, tasks);
  const seen = await Promise.race([w.done, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('tasks not Running within 60 s')), 60_000))]);
  await w.cancel();
  const out = [...seen.values()].map((t) => t - committedAt);
  // Clean up: deleting the tasks deletes their assignments; the agent kills (grace 0) and removes.
  await forEachLimit(tasks, 16, async (t) => void (await store.remove(TASK, 'default', t.metadata.name)));
  const end = Date.now() + 30_000;
  while ((await containersOf(node, true)).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return out;
}

/** `docker run -d` of the same thing, n at once; resolve with each CLI's wall time (ms). */
async function dockerRound(label: string, n: number): Promise<number[]> {
  const one = () =>
    new Promise<number>((res, rej) => {
      const t0 = performance.now();
      const p = spawn('docker', ['run', '-d', '--network', 'host', '--cpus', String(CPUS), '--memory', `${MEM}m`, '--pids-limit', '1024', '--label', `stowage.node=${label}`, IMAGE, ...COMMAND], { stdio: 'ignore' });
      p.once('exit', (code) => (code === 0 ? res(performance.now() - t0) : rej(new Error(`docker run exited ${code}`))));
    });
  const out = await Promise.all(Array.from({ length: n }, one));
  await removeNodeContainers(label);
  return out;
}

async function hollow(etcd: TestEtcd, client: Etcd3, store: Store): Promise<void> {
  const N = 1000;
  const PER = 10;
  const prefix = 'bench-h-';
  const t0 = performance.now();
  const agent = await spawnAgent(['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', String(N), '--node-prefix', prefix, '--cpus', '64', '--mem', '65536', '--disk', '100'], { readyTimeoutMs: 60_000 });
  const ready = performance.now() - t0;
  try {
    const nodes = Array.from({ length: N }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
    const created = new Map<string, Stored<Task>[]>();
    await forEachLimit(nodes, 64, async (n) => {
      const list: Stored<Task>[] = [];
      for (let j = 0; j < PER; j++) list.push(await store.create(TASK, newTask(`${n}-${j}`, {})));
      created.set(n, list);
    });
    const w = await watchStates(client, nodes.flatMap((n) => created.get(n)!.map((t) => t.object.metadata.name)), 'Running');
    const b0 = performance.now();
    await forEachLimit(nodes, 64, async (n) => {
      const node = (await store.get(NODE, undefined, n))!;
      const txn = store.txn();
      addBindings(txn, node, created.get(n)!.map((task) => ({ task, ports: {} })));
      if (!(await txn.commit()).succeeded) throw new Error(`binding to ${n} conflicted`);
    });
    const b1 = performance.now();
    const seen = await w.done;
    await w.cancel();
    const last = Math.max(...seen.values());
    console.log(`\nhollow nodes: ${N} nodes registered in ${ms(ready)}; ${N * PER} tasks bound in ${ms(b1 - b0)} (one txn per node)`);
    console.log(`  all Running ${ms(last - b0)} after the first binding, ${ms(last - b1)} after the last`);
  } finally {
    await agent.stop();
  }
}

async function main(): Promise<void> {
  ensureDocker();
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  const node = testNodeName('bench-agent');
  const baseline = `${node}-docker`;
  let agent: AgentProc | undefined;
  try {
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--node', node, '--ports', '30400-30499', '--cpus', '64', '--mem', '65536']);
    // Warm up both paths (first create on an image, connection pools).
    await agentRound(client, store, node, 1);
    await dockerRound(baseline, 1);

    const res = { a1: [] as number[], d1: [] as number[], aN: [] as number[], dN: [] as number[], aNall: [] as number[], dNall: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < 3; i++) {
        res.a1.push(...(await agentRound(client, store, node, 1)));
        res.d1.push(...(await dockerRound(baseline, 1)));
      }
      // Alternate which goes first: whatever the one before leaves behind in the engine hits both alike.
      let a: number[], d: number[];
      if (r % 2 === 0) {
        a = await agentRound(client, store, node, BATCH);
        d = await dockerRound(baseline, BATCH);
      } else {
        d = await dockerRound(baseline, BATCH);
        a = await agentRound(client, store, node, BATCH);
      }
      res.aN.push(median(a));
      res.dN.push(median(d));
      res.aNall.push(Math.max(...a));
      res.dNall.push(Math.max(...d));
      process.stderr.write(`round ${r + 1}/${ROUNDS}: 1 task agent ${res.a1.at(-1)!.toFixed(0)} ms, docker ${res.d1.at(-1)!.toFixed(0)} ms; ${BATCH} at once: agent last ${res.aNall.at(-1)!.toFixed(0)} ms, docker last ${res.dNall.at(-1)!.toFixed(0)} ms\n`);
    }
    const row = (what: string, a: number, d: number) => console.log(`${what.padEnd(34)} agent ${ms(a)}   docker run -d ${ms(d)}   ratio ${(a / d).toFixed(2)}x`);
    console.log(`\nbound -> Running vs docker run -d (${IMAGE} ${COMMAND.join(' ')}, cpus ${CPUS}, mem ${MEM}); medians of ${ROUNDS} rounds (1 task: 3 per round)`);
    row('1 task', median(res.a1), median(res.d1));
    row(`${BATCH} at once: median task`, median(res.aN), median(res.dN));
    row(`${BATCH} at once: all of them (last)`, median(res.aNall), median(res.dNall));
    console.log('goal: within 1.2x of plain Docker');
    if (HOLLOW) await hollow(etcd, client, store);
  } finally {
    await agent?.stop();
    await removeNodeContainers(node);
    await removeNodeContainers(baseline);
    client.close();
    etcd.stop();
  }
}

await main();
