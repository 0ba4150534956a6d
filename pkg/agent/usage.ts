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
import type { NodeUsage, TaskUsage } from '../api/types.js';
import type { UsageWriteResult } from '../store/node-usage.js';
import { errMsg, type Logger } from '../log/logger.js';
import { changedMeaningfully } from '../api/node-usage.js';
import { nodeCpuUsage, nodeMemoryUsage, taskCpuUsage, taskMemoryUsage, usageSamples, usageWrites } from '../metrics/metrics.js';
import { mapLimit } from '../util/limiter.js';
import type { Runtime } from './runtime/runtime.js';
import { warnUnlessEtcdDown } from '../store/etcd-health.js';

export { changedMeaningfully, REFRESH_MS } from '../api/node-usage.js';

const MIB = 1024 * 1024;
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

/** Where a node's usage goes: its Node status, through etcd or a server (plane/). */
export interface UsageSink {
  writeUsage(node: string, usage: NodeUsage): Promise<UsageWriteResult>;
}

export interface UsageSamplerOptions {
  node: string;
  runtime: Pick<Runtime, 'stats'>;
  running: () => { ns: string; name: string; containerId: string }[];
  sink: UsageSink;
  log: Logger;
  intervalMs: number;
  now?: () => Date;
}

export class UsageSampler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private shown = new Set<string>();
  private inFlight: Promise<void> | undefined;
  /** The usage this agent last wrote (undefined: not known to be stored). */
  private written: NodeUsage | undefined;

  constructor(private readonly o: UsageSamplerOptions) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.inFlight = this.sampleOnce()
        .then(() => undefined)
        .catch((e) => warnUnlessEtcdDown(this.o.log, 'usage sample failed', { node: this.o.node, error: errMsg(e) }, e))
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
    // what this agent wrote last is what is stored, unless somebody else wrote since: nothing to
    // ask when the sample did not move from it (each ask is a request, and a read of the node)
    if (this.written && !changedMeaningfully(this.written, usage)) return;
    try {
      const r = await this.o.sink.writeUsage(this.o.node, usage);
      this.written = r === 'written' ? usage : undefined;
      if (r === 'written') usageWrites.inc({ result: 'written' });
    } catch (e) {
      usageWrites.inc({ result: isApiError(e, 'Conflict') ? 'conflict' : 'error' });
      throw e;
    }
  }
}
