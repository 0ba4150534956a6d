/**
 * The chaos scenario, for the test (test/chaos/chaos.test.ts, about a
 * minute of faults) and the soak (`npm run chaos -- --minutes N`):
 *
 *   20 × httpd healthy (revision 1) ──► job every 2 s ──► rolling upgrade to revision 2
 *        in its first seconds: kill -9 one agent (until its node is NotReady) and start it
 *        again, kill -9 one etcd member and start it again, restart the private dockerd;
 *        all along, for faultMs: kill -9 the leader every few seconds (and start it again)
 *        (a soak repeats the round every 90 s, each with a rollout to a new revision)
 *   then, waiting on conditions:
 *     exactly 20 healthy tasks, all of the last revision, nothing else live
 *     never more service tasks live than the upgrade strategy allows
 *     no task uid with two containers at once for longer than the grace window
 *     every job slot of the window ran exactly once or is recorded Missed
 *     the events tell it: leader elections, node NotReady / Ready, the rollout's steps

 * runChaos never throws for a broken guarantee: it returns the figures and
 * every problem found, in words; the caller decides (the test asserts
 * there are none, the soak prints them).
 */
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Event, Job, JobRun } from '../../pkg/api/types.js';
import { call, type Answer } from '../helpers/http.js';
import { auditSlots, readJob, summary } from '../helpers/job-slots.js';
import { getService, isHealthy, isLive, serviceTasks } from '../helpers/stowage.js';
import { sampleEvery, sleep, until } from '../helpers/wait.js';
import { startChaosCluster, type ChaosCluster } from './cluster.js';
import { overlaps, recordContainers, type Recorder } from './containers.js';
import { killEtcdMember, killLeader, newFaultLog, restartAgent, restartDockerd, type FaultLog } from './faults.js';

export const SERVICE = 'web';
export const JOB = 'tick';
export const INSTANCES = 20;
const PERIOD_MS = 2000;
/** A soak's faults come in rounds this long, each with a rollout of its own. */
const ROUND_MS = 90_000;
const UPGRADE = { minimumHealthCapacity: 1, maximumOverCapacity: 0.05 };
/** The strategy's bound on tasks that have not ended, during the rollout too (services/compute.ts). */
export const MAX_TOTAL = Math.floor((1 + UPGRADE.maximumOverCapacity) * INSTANCES);
/** Two containers of one task uid may overlap this long: the kill grace (1 s) and the recorder's resolution. */
export const OVERLAP_GRACE_MS = 2000;
const EVENT = lookupKind('Event')!;
const JOBKIND = lookupKind('Job')!;

export interface ChaosOptions {
  /** How long faults are injected, from the start of the rollout. */
  faultMs: number;
  /** A leader kill this often. */
  leaderKillEveryMs: number;
  /** Bound on each wait for the end state. */
  settleMs: number;
  /** Progress lines (the test prints them with a #). */
  progress?: (line: string) => void;
  tag?: string;
}

export interface Figures {
  wallMs: number;
  faults: FaultLog['counts'];
  takeoversMs: number[];
  /** LeaderElected events (the series' count). */
  leaderElections: number;
  /** Tasks of the service that ever had a container, beyond the instances each template needs. */
  tasksReplaced: number;
  slots: { ran: number; missed: number; doubled: number; summary: string };
  /** The longest two containers of one task uid ran at once (ms). */
  maxOverlapMs: number;
  containers: number;
  /** The most service tasks not ended at once, sampled (the strategy allows MAX_TOTAL). */
  maxLiveTasks: number;
  /** Rolling upgrades started (one per round). */
  rollouts: number;
  /** From the start of each rollout to all instances healthy on its revision, as sampled. */
  rolloutsMs: number[];
  /** Event reasons written during the run, with their counts. */
  events: Record<string, number>;
  faultLines: string[];
  failedDockerPolls: number;
}

export interface Outcome {
  figures: Figures;
  problems: string[];
  /** Every server process's output, for keepLogs. */
  servers: { output: string[] }[];
}

const serviceManifest = (version: string) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name: SERVICE, namespace: 'default' },
  spec: {
    instances: INSTANCES,
    image: 'localhost/stowage-busybox:1',
    // healthy a few seconds after it starts: each step of the rollout takes a while
    command: ['/bin/sh', '-c', 'sleep 2; exec httpd -f -p $PORT0 -h /www'],
    env: { VERSION: version },
    resources: { cpus: 0.1, mem: 16, disk: 0 },
    ports: [{ name: 'http' }],
    killGracePeriodSeconds: 1,
    // one at a time (one over, none down), so the rollout lasts through the faults
    upgradeStrategy: UPGRADE,
    healthChecks: [{ protocol: 'HTTP', port: 'http', gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3 }],
  },
});

const jobManifest = {
  apiVersion: 'stowage/v1',
  kind: 'Job',
  metadata: { name: JOB, namespace: 'default' },
  spec: {
    schedule: '*/2 * * * * *',
    image: 'localhost/stowage-busybox:1',
    command: ['true'],
    resources: { cpus: 0.05, mem: 8 },
    killGracePeriodSeconds: 1,
    concurrencyPolicy: 'Allow',
    catchUp: { windowSeconds: 20, mode: 'all' },
    successfulRunsHistoryLimit: 1000,
    failedRunsHistoryLimit: 1000,
    missedRunsHistoryLimit: 1000,
  },
};

/** A request to whichever server answers (one may be down); a 5xx or no answer tries the next, for up to 30 s. */
async function api(c: ChaosCluster, method: string, path: string, body?: unknown): Promise<Answer> {
  return until(`${method} ${path}`, async () => {
    for (const s of c.servers) {
      const r = await call(s.url, method, path, body, { timeoutMs: 5000 }).catch(() => undefined);
      if (r && r.status < 500) return r;
    }
    return undefined;
  }, 30_000, 200);
}

async function apply(c: ChaosCluster, doc: unknown): Promise<void> {
  const r = await api(c, 'POST', '/api/v1/apply', { items: [doc] });
  if (r.status !== 200) throw new Error(`apply: ${r.status} ${r.text}`);
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function runChaos(o: ChaosOptions): Promise<Outcome> {
  const t0 = Date.now();
  const say = o.progress ?? (() => undefined);
  const problems: string[] = [];
  const c = await startChaosCluster(o.tag ?? `${process.pid}`);
  let rec: Recorder | undefined;
  let sampler: { stop(): Promise<void> } | undefined;
  const log = newFaultLog(t0);
  try {
    rec = recordContainers(c.dockerd.socket);
    say(`cluster up in ${fmt(Date.now() - t0)}: etcd ${c.etcd.endpoints}, servers ${c.servers.map((s) => s.url).join(' ')}, nodes ${c.nodes.join(' ')}`);

    await apply(c, serviceManifest('1'));
    await until(`${INSTANCES} healthy tasks of revision 1`, async () => (await serviceTasks(c.store, SERVICE)).filter(isHealthy).length === INSTANCES, o.settleMs, 250);
    say(`${INSTANCES} healthy at ${fmt(Date.now() - t0)}`);

    await apply(c, jobManifest);
    const jobCreated = Date.parse((await c.store.get<Job>(JOBKIND, 'default', JOB))!.object.metadata.creationTimestamp!);
    const firstSlot = Math.floor(jobCreated / PERIOD_MS) * PERIOD_MS + PERIOD_MS;

    // Rounds of roundMs (one in the test; a soak has several): each begins a
    // rolling upgrade to a new template and, in its first seconds, restarts one
    // agent, one etcd member and the engine, one after the other; the leader
    // is killed every leaderKillEveryMs throughout.
    const rounds = Math.max(1, Math.round(o.faultMs / ROUND_MS));
    const last = String(rounds + 1);
    let target = '2';
    let targetSince = Date.now();
    let maxLive = 0;
    const rolloutsMs: number[] = [];
    await apply(c, serviceManifest(target));
    const faultStart = Date.now();
    const faultEnd = faultStart + o.faultMs;
    sampler = sampleEvery(500, async () => {
      const ts = await serviceTasks(c.store, SERVICE).catch(() => undefined);
      if (!ts) return;
      const live = ts.filter(isLive);
      maxLive = Math.max(maxLive, live.length);
      const done = live.length === INSTANCES && live.filter((t) => isHealthy(t) && t.spec.env?.VERSION === target).length === INSTANCES;
      if (done && rolloutsMs.length < Number(target) - 1) {
        rolloutsMs.push(Date.now() - targetSince);
        log.note(`rollout done: ${INSTANCES} healthy of revision ${target}`);
      }
    });
    say(`rollout to revision 2 started; faults for ${fmt(o.faultMs)}`);
    const waitUntil = async (when: number) => {
      while (Date.now() < when) await sleep(Math.min(250, when - Date.now()));
    };
    const fault = (f: () => Promise<void>) => f().catch((e) => problems.push(`fault: ${String(e)}`));
    // Leader kills go on throughout, while an agent is away too: a node's
    // NotReady / Ready / NodeLost and its event are one transaction, so a kill
    // right after the write loses neither.
    const leaderKills = (async () => {
      let next = faultStart + Math.min(3000, o.leaderKillEveryMs);
      while (next < faultEnd) {
        await waitUntil(next);
        await fault(() => killLeader(c, log));
        next = Math.max(next + o.leaderKillEveryMs, Date.now() + 1000);
      }
    })();
    const oneShots = (async () => {
      for (let r = 0; r < rounds; r++) {
        const begin = faultStart + r * ROUND_MS;
        await waitUntil(begin);
        if (r > 0) {
          target = String(r + 2);
          targetSince = Date.now();
          await fault(() => apply(c, serviceManifest(target)));
          log.note(`rollout to revision ${target} started`);
        }
        await waitUntil(begin + 1000);
        await fault(() => restartAgent(c, c.nodes[r % 3]!, log));
        await fault(() => killEtcdMember(c, r % 3, 4000, log));
        await fault(() => restartDockerd(c, log));
      }
    })();
    await Promise.all([leaderKills, oneShots]);
    say(`faults done at ${fmt(Date.now() - t0)}: ${JSON.stringify(log.counts)}`);
    const lastSlot = Math.floor(Math.max(faultEnd, Date.now()) / PERIOD_MS) * PERIOD_MS;

    // ---- the end state, each waited on within settleMs ----
    const rolledOut = async () => {
      const live = (await serviceTasks(c.store, SERVICE)).filter((t) => isLive(t) && t.spec.desiredState !== 'Killed');
      const healthy = live.filter((t) => isHealthy(t) && t.spec.env?.VERSION === last);
      return { live: live.length, healthy: healthy.length, old: live.filter((t) => t.spec.env?.VERSION !== last).length };
    };
    try {
      await until(`exactly ${INSTANCES} healthy tasks of revision ${last} and nothing else live`, async () => {
        const s = await rolledOut();
        return s.healthy === INSTANCES && s.live === INSTANCES;
      }, o.settleMs, 250);
    } catch (e) {
      const svc = (await getService(c.store, SERVICE).catch(() => undefined))?.status;
      const why = { now: await rolledOut().catch(() => 'unknown'), backoff: svc?.backoff, conditions: svc?.conditions?.filter((x) => x.status === 'True').map((x) => `${x.type}: ${x.message}`), lastFailures: svc?.lastFailures?.slice(-5) };
      problems.push(`${String(e)}: ${JSON.stringify(why)}`);
    }
    // the last rollout, when it ended after the sampler stopped looking
    if (rolloutsMs.length < rounds && problems.length === 0) rolloutsMs.push(Date.now() - targetSince);
    say(`rolled out at ${fmt(Date.now() - t0)}`);
    await sampler.stop();
    if (maxLive > MAX_TOTAL) problems.push(`${maxLive} service tasks were live at once; the upgrade strategy allows ${MAX_TOTAL}`);

    const ENDED = new Set(['Succeeded', 'Failed', 'Missed', 'Skipped']);
    try {
      await until(`the job's slots up to ${new Date(lastSlot).toISOString()} handled and their runs ended`, async () => {
        const job = (await c.store.get<Job>(JOBKIND, 'default', JOB))?.object;
        if (Date.parse(job?.status?.lastScheduleTime ?? '') < lastSlot || !job?.status?.lastScheduleTime) return false;
        const { runs } = await readJob(c.store, JOB);
        return runs.filter((r: JobRun) => Date.parse(r.spec.slot ?? '') <= lastSlot).every((r) => ENDED.has(r.status?.state ?? 'Pending'));
      }, o.settleMs, 250);
    } catch (e) {
      problems.push(String(e));
    }
    const audit = auditSlots(JOB, await readJob(c.store, JOB), firstSlot, lastSlot, PERIOD_MS);
    problems.push(...audit.problems.map((p) => `job slots: ${p}`));
    const doubled = [...audit.bySlot.values()].filter((rs) => rs.length > 1).length;

    await rec.stop();
    const lives = [...rec.lives.values()];
    const ov = overlaps(lives, Date.now());
    for (const x of ov.filter((x) => x.ms > OVERLAP_GRACE_MS)) problems.push(`task ${x.name} (uid ${x.task}) had two containers at once for ${x.ms} ms: ${x.a} and ${x.b}`);
    const serviceUids = new Set(lives.filter((l) => l.name.startsWith(`default/${SERVICE}-`)).map((l) => l.task));

    const events: Record<string, number> = {};
    for (const e of (await c.store.list<Event>(EVENT)).items) {
      const ts = Date.parse(e.object.spec.lastTimestamp ?? e.object.metadata.creationTimestamp ?? '');
      if (ts >= t0) events[e.object.spec.reason] = (events[e.object.spec.reason] ?? 0) + (e.object.spec.count ?? 1);
    }
    problems.push(...log.problems);

    return {
      figures: {
        wallMs: Date.now() - t0,
        faults: log.counts,
        takeoversMs: log.takeovers,
        leaderElections: events.LeaderElected ?? 0,
        tasksReplaced: Math.max(0, serviceUids.size - (rounds + 1) * INSTANCES),
        rollouts: rounds,
        slots: { ran: audit.ran.length, missed: [...audit.missed.values()].reduce((n, v) => n + v.length, 0), doubled, summary: summary(audit) },
        maxOverlapMs: ov[0]?.ms ?? 0,
        containers: lives.length,
        maxLiveTasks: maxLive,
        rolloutsMs,
        events,
        faultLines: log.lines,
        failedDockerPolls: rec.failedPolls(),
      },
      problems,
      servers: c.allServers,
    };
  } finally {
    await sampler?.stop();
    await rec?.stop();
    await c.stop();
  }
}

/** The figures as lines, for the test's output and the soak's. */
export function describeFigures(f: Figures): string[] {
  const sorted = [...f.takeoversMs].sort((a, b) => a - b);
  const med = sorted.length ? sorted[sorted.length >> 1]! : 0;
  return [
    `wall time ${fmt(f.wallMs)}`,
    `faults injected: ${f.faults.leaderKills} leader kill -9, ${f.faults.agentRestarts} agent kill -9 + restart, ${f.faults.etcdKills} etcd member kill -9 + restart, ${f.faults.dockerdRestarts} dockerd restart`,
    `leader changes: ${f.leaderElections} LeaderElected; takeover after kill -9: median ${fmt(med)}, max ${fmt(sorted.at(-1) ?? 0)} (${sorted.map((x) => (x / 1000).toFixed(1)).join(' ')})`,
    `rollouts: ${f.rollouts}, done after ${f.rolloutsMs.map(fmt).join(', ') || 'none seen'}; most service tasks live at once ${f.maxLiveTasks} (allowed ${MAX_TOTAL})`,
    `tasks replaced (service tasks beyond ${INSTANCES} per template): ${f.tasksReplaced}; containers seen: ${f.containers}`,
    `job slots: ${f.slots.ran} ran, ${f.slots.missed} missed, ${f.slots.doubled} doubled (${f.slots.summary})`,
    `max two-container overlap of one task uid: ${f.maxOverlapMs} ms (allowed ${OVERLAP_GRACE_MS} ms)`,
    `events: ${Object.entries(f.events).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `docker polls without answer: ${f.failedDockerPolls}`,
    ...f.faultLines.map((l) => `  ${l}`),
  ];
}
