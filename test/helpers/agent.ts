/**
 * What the agent's end-to-end tests and benchmark share: run `stowage agent`
 * as a child process, create Tasks and bind them the way the scheduler does
 * (one transaction: node allocation + task status Bound + assignment key),
 * wait for a task's status, and look at containers by their labels.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Etcd3, IWatchResponse } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node, Task, TaskSpec, TaskStatus } from '../../pkg/api/types.js';
import { addBindings } from '../../pkg/store/binding.js';
import { statusKey } from '../../pkg/store/keys.js';
import type { Store, Stored } from '../../pkg/store/store.js';
import { IMAGE } from './docker.js';
import { stowageCommand } from './commands.js';
import { scanLog } from './suite-scan.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TASK = lookupKind('Task')!;
export const NODE = lookupKind('Node')!;
const run = promisify(execFile);

export interface AgentProc {
  pid: number;
  child: ChildProcess;
  /** Everything the agent logged (JSON lines on stderr). */
  output: string[];
  /** SIGTERM (or the signal given) and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}


/** Start an agent; resolves once it logged "agent ready". `nodeArgs` go to node (e.g. --cpu-prof) when it runs from the sources. */
export async function spawnAgent(args: string[], opts: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<AgentProc> {
  const [cmd, ...pre] = [...stowageCommand(opts.nodeArgs), 'agent'];
  const child = spawn(cmd!, [...pre, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STOWAGE_LOG_LEVEL: process.env.STOWAGE_LOG_LEVEL ?? 'info', ...opts.env },
  });
  const output: string[] = [];
  let buf = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((res, rej) => {
    const copy = scanLog('agent', child.pid);
    const onData = (d: Buffer) => {
      copy(d);
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        output.push(line);
        if (process.env.AGENT_DEBUG) process.stderr.write(`[agent ${child.pid}] ${line}\n`);
        if (line.includes('"agent ready"')) res();
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    void exited.then((code) => rej(new Error(`agent exited with ${code} before it was ready:\n${output.slice(-10).join('\n')}`)));
    setTimeout(() => rej(new Error(`agent not ready after ${opts.readyTimeoutMs ?? 30000} ms:\n${output.slice(-10).join('\n')}`)), opts.readyTimeoutMs ?? 30000).unref();
  });
  const proc: AgentProc = {
    pid: child.pid!,
    child,
    output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  try {
    await ready;
  } catch (e) {
    await proc.stop('SIGKILL');
    throw e;
  }
  return proc;
}

export function newTask(name: string, spec: Partial<TaskSpec>, namespace = 'default'): Task {
  return {
    apiVersion: 'stowage/v1',
    kind: 'Task',
    metadata: { name, namespace, labels: { 'stowage/owner': 'test/agent' } },
    spec: { image: IMAGE, resources: { cpus: 0.1, mem: 32, disk: 0 }, ...spec },
  };
}

/**
 * Create the tasks and bind them all to `node` in one transaction, as the
 * scheduler does. Resolves with the time the binding committed
 * (performance.now()). Ports: one list of host ports per task, in the
 * order of its spec.ports.
 */
export async function createAndBind(store: Store, node: string, tasks: Task[], ports: number[][] = []): Promise<{ committedAt: number; revision: string }> {
  const created: Stored<Task>[] = [];
  // Created with a status that is not Pending: a task without a status key is Pending to a
  // server's scheduler (api/implied-status.ts), which would bind it first.
  for (const t of tasks) created.push(await store.create(TASK, { ...t, status: t.status ?? { state: 'Bound' } }));
  for (let attempt = 0; attempt < 20; attempt++) {
    const n = await store.get<Node>(NODE, undefined, node);
    if (!n) throw new Error(`node ${node} is not registered`);
    const txn = store.txn();
    addBindings(
      txn,
      n,
      created.map((task, i) => ({
        task,
        ports: Object.fromEntries((task.object.spec.ports ?? []).map((p, j) => [p.name, ports[i]![j]!])),
      })),
    );
    const r = await txn.commit();
    const committedAt = performance.now();
    if (r.succeeded) return { committedAt, revision: r.revision };
    for (const c of created) c.object.status = undefined;
  }
  throw new Error('binding kept conflicting');
}

export async function taskStatus(store: Store, name: string, namespace = 'default'): Promise<TaskStatus | undefined> {
  return (await store.get<Task>(TASK, namespace, name))?.object.status;
}

/** Poll a task's status until pred holds; returns that status. */
export async function waitForTask(store: Store, name: string, pred: (s: TaskStatus) => boolean, timeoutMs = 10_000, namespace = 'default'): Promise<TaskStatus> {
  const end = Date.now() + timeoutMs;
  let last: TaskStatus | undefined;
  for (;;) {
    last = await taskStatus(store, name, namespace);
    if (last && pred(last)) return last;
    if (Date.now() > end) throw new Error(`task ${namespace}/${name}: condition not met in ${timeoutMs} ms; status ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Watch the status keys of `names` and resolve, per task, the moment
 * (performance.now()) its status first had `state`.
 */
export async function watchStates(client: Etcd3, names: string[], state: string, namespace = 'default'): Promise<{ done: Promise<Map<string, number>>; cancel: () => Promise<void> }> {
  const want = new Map(names.map((n) => [statusKey(TASK, namespace, n), n]));
  const seen = new Map<string, number>();
  const prefix = statusKey(TASK, namespace, '');
  const w = await client.watch().prefix(prefix).create();
  let finish!: (m: Map<string, number>) => void;
  const done = new Promise<Map<string, number>>((r) => (finish = r));
  w.on('data', (res: IWatchResponse) => {
    const at = performance.now();
    for (const ev of res.events) {
      const n = want.get(ev.kv.key.toString());
      if (!n || seen.has(n) || ev.type !== 'Put') continue;
      if ((JSON.parse(ev.kv.value.toString()) as TaskStatus).state === state) seen.set(n, at);
    }
    if (seen.size === want.size) finish(seen);
  });
  return { done, cancel: () => w.cancel() };
}

// ---- docker ----

/** IDs of this node's containers (running, or all), sorted. */
export async function containersOf(node: string, all = false, socket = '/var/run/docker.sock'): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', ...(all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=stowage.node=${node}`], {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
  });
  return stdout.trim() ? stdout.trim().split('\n').sort() : [];
}
