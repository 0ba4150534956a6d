/**
 * Resource usage: every --usage-interval (10 s) the agent takes one stats
 * sample of each running container of a node (one-shot stats, a few at a
 * time: never a stream per container) and
 *
 *   - sets the task and node gauges (stowage_task_cpu_usage_cores, ...) on every sample;
 *   - writes Node.status.usage {cpus, mem, memBytes, at, tasks: {"<ns>/<name>": {cpus, memBytes}}}
 *     with a CAS on the node's status, only when it changed meaningfully.
 *
 * Why on the Node and not on each Task: a per-task status write every 10 s
 * would be one etcd write per running task per interval (10,000 tasks: 1,000
 * writes/s for numbers nobody acts on). One write per node carries every
 * task's figures; with the "meaningful change" rule a steady node writes at
 * most once per REFRESH_MS. The Node status key is shared with the binder
 * (its CAS on the status revision), so fewer writes also mean fewer binder
 * conflicts.
 */
import { isApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Node, NodeUsage, TaskUsage } from '../api/types.js';
import { errMsg, type Logger } from '../log/logger.js';
import { nodeCpuUsage, nodeMemoryUsage, taskCpuUsage, taskMemoryUsage, usageSamples, usageWrites } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import { mapLimit } from '../util/limiter.js';
import type { Runtime } from './runtime/runtime.js';

const NODE = lookupKind('Node')!;
const MIB = 1024 * 1024;
/** A steady node still refreshes `at` this often. */
export const REFRESH_MS = 5 * 60_000;
/** Stats calls at once per node (each takes ~1 s on Docker). */
export const STATS_CONCURRENCY = 4;

export interface Sample {
  ns: string;
  name: string;
  usage: TaskUsage;
}

/** The node's usage from its tasks' samples. Pure. */
export function aggregate(samples: Sample[], at: Date): NodeUsage {
  const tasks: Record<string, TaskUsage> = {};
  let cpus = 0;
  let memBytes = 0;
  for (const s of [...samples].sort((a, b) => `${a.ns}/${a.name}`.localeCompare(`${b.ns}/${b.name}`))) {
    tasks[`${s.ns}/${s.name}`] = { cpus: s.usage.cpus, memBytes: s.usage.memBytes };
    cpus += s.usage.cpus;
    memBytes += s.usage.memBytes;
  }
  return { cpus: round3(cpus), mem: Math.round(memBytes / MIB), memBytes, at: at.toISOString(), tasks };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const cpuMoved = (a: number, b: number) => Math.abs(a - b) > Math.max(0.05, 0.2 * Math.max(a, b));
const memMoved = (a: number, b: number) => Math.abs(a - b) > Math.max(4 * MIB, 0.1 * Math.max(a, b));

/** Whether `next` is worth an etcd write over what is stored. Pure. */
export function changedMeaningfully(prev: NodeUsage | undefined, next: NodeUsage): boolean {
  if (!prev) return true;
  if (Date.parse(next.at) - Date.parse(prev.at) >= REFRESH_MS) return true;
  const a = Object.keys(prev.tasks ?? {});
  const b = Object.keys(next.tasks);
  if (a.length !== b.length || b.some((k) => !prev.tasks?.[k])) return true;
  for (const k of b) {
    const p = prev.tasks[k]!;
    const n = next.tasks[k]!;
    if (cpuMoved(p.cpus, n.cpus) || memMoved(p.memBytes, n.memBytes)) return true;
  }
  return false;
}

export interface UsageSamplerOptions {
  node: string;
  runtime: Pick<Runtime, 'stats'>;
  running: () => { ns: string; name: string; containerId: string }[];
  store: Pick<Store, 'get' | 'putStatus'>;
  log: Logger;
  intervalMs: number;
  now?: () => Date;
}

export class UsageSampler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private shown = new Set<string>();
  private inFlight: Promise<void> | undefined;

  constructor(private readonly o: UsageSamplerOptions) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.inFlight = this.sampleOnce()
        .then(() => undefined)
        .catch((e) => this.o.log.warn('usage sample failed', { node: this.o.node, error: errMsg(e) }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.o.intervalMs);
        });
    };
    this.timer = setTimeout(loop, Math.min(this.o.intervalMs, 1000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /** One round: sample, set gauges, write the Node's usage if it moved. */
  async sampleOnce(): Promise<NodeUsage> {
    const node = this.o.node;
    const got = await mapLimit(this.o.running(), STATS_CONCURRENCY, async (t): Promise<Sample | undefined> => {
      try {
        const usage = await this.o.runtime.stats(t.containerId);
        usageSamples.inc({ result: 'ok' });
        return usage && { ns: t.ns, name: t.name, usage };
      } catch (e) {
        usageSamples.inc({ result: 'error' });
        this.o.log.debug('stats failed', { node, task: `${t.ns}/${t.name}`, error: errMsg(e) });
        return undefined;
      }
    });
    const samples = got.filter((s): s is Sample => s !== undefined);
    const usage = aggregate(samples, (this.o.now ?? (() => new Date()))());
    this.setGauges(samples, usage);
    if (!this.stopped) await this.write(usage);
    return usage;
  }

  private setGauges(samples: Sample[], usage: NodeUsage): void {
    const node = this.o.node;
    const now = new Set<string>();
    for (const s of samples) {
      const labels = { namespace: s.ns, task: s.name, node };
      taskCpuUsage.set(labels, s.usage.cpus);
      taskMemoryUsage.set(labels, s.usage.memBytes);
      now.add(`${s.ns}/${s.name}`);
    }
    for (const k of this.shown) {
      if (now.has(k)) continue;
      const [namespace, task] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
      taskCpuUsage.remove({ namespace, task, node });
      taskMemoryUsage.remove({ namespace, task, node });
    }
    this.shown = now;
    nodeCpuUsage.set({ node }, usage.cpus);
    nodeMemoryUsage.set({ node }, usage.memBytes);
  }

  private async write(usage: NodeUsage): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const cur = await this.o.store.get<Node>(NODE, undefined, this.o.node);
      if (!cur?.object.status) return; // not registered yet: the next round writes
      if (!changedMeaningfully(cur.object.status.usage, usage)) return;
      try {
        await this.o.store.putStatus(NODE, undefined, this.o.node, { ...cur.object.status, usage }, cur.statusRev);
        usageWrites.inc({ result: 'written' });
        return;
      } catch (e) {
        if (!isApiError(e, 'Conflict')) {
          usageWrites.inc({ result: 'error' });
          throw e;
        }
        usageWrites.inc({ result: 'conflict' });
      }
    }
  }
}
