/**
 * `npm run bench:soak [-- --minutes 30 --tasks 1000]`: the whole control plane
 * under churn for a long time, to see that nothing accumulates.
 *
 *   etcd ◄── stowage server ◄── churn: scale, roll, apply/delete a service
 *     ▲                                 every 5 s; kill -9 an agent every 2 min,
 *     └── 3 x stowage agent --driver sim   started again 30 s later
 *
 * One row a minute (test/helpers/soak-figures.ts): server RSS, etcd db size
 * (allocated and in use), the age of the oldest retried key, tasks and
 * events. The baseline is the same run's first minutes. Goals:
 *   - memory flat: the server's mean RSS over the last 5 minutes is under
 *     10 % above its mean over minutes 3-7 (one sample moves with each GC);
 *   - etcd flat: the peak db size in use over the last 5 minutes is under
 *     10 % above the peak over minutes 10-14. etcd keeps 5 minutes of
 *     history and compacts every 5 minutes (hack/etcd.sh:
 *     --auto-compaction-retention 5m), so the size in use is a sawtooth that
 *     settles after the first two compactions; the allocated size (no
 *     defrag) only grows, to a plateau. Events live an hour, but repeats
 *     of one reason on one object are one Event (a series), so they level
 *     off within minutes;
 *   - no key retried for more than 60 s (stowage_workqueue_oldest_retry_seconds);
 *   - after the churn, everything converges (as the churn left it).
 * Flags: --minutes N (default 30), --tasks N (default 1000), --agents N
 * (default 3), --nodes N per agent (default 40).
 */
import { churn, converge, deploy, startSoakCluster, NODE_CPUS, TASK_CPUS, type SoakConfig } from '../helpers/soak.js';
import { Figures, HEADER, WINDOW_MIN, flatness, formatRow, growth, pct, type Flatness, type Row } from '../helpers/soak-figures.js';
import { sleep } from '../helpers/wait.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!(v > 0)) throw new RangeError(`--${name}: "${process.argv[i + 1]}" is not a positive number`);
  return v;
};
const MINUTES = arg('minutes', 30);
const TASKS = arg('tasks', 1000);
const SERVICES = 10;
const cfg: SoakConfig = {
  services: SERVICES,
  instances: Math.round(TASKS / SERVICES),
  spread: 0.3,
  tempInstances: Math.round(TASKS / 20),
  agents: arg('agents', 3),
  nodesPerAgent: arg('nodes', 40),
  tickMs: 5000,
  killEveryTicks: 24,
  downTicks: 6,
  nodeLostGraceS: 5,
};
const FLAT = 0.1;
const MEM_FROM = 3;
const DB_FROM = 10;
const RETRY_LIMIT_S = 60;

async function main(): Promise<void> {
  // Room for every service at its top scale, the throw-away service and a roll's surge, with one agent down.
  const top = cfg.instances * (1 + cfg.spread);
  const peakCpus = (cfg.services * top + top * 0.2 + cfg.tempInstances) * TASK_CPUS;
  const spareCpus = (cfg.agents - 1) * cfg.nodesPerAgent * NODE_CPUS;
  if (peakCpus > spareCpus) {
    throw new RangeError(`--nodes: ${cfg.nodesPerAgent} nodes an agent are too few: the peak needs ${peakCpus.toFixed(1)} cpus with one agent down, there are ${spareCpus}`);
  }
  const log = (l: string) => process.stderr.write(`  ${l}\n`);
  const c = await startSoakCluster(cfg);
  const figures = new Figures(c);
  try {
    const t0 = Date.now();
    await deploy(c, cfg, 300_000);
    log(`deployed ${cfg.services} x ${cfg.instances} tasks on ${cfg.agents} x ${cfg.nodesPerAgent} hollow nodes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    figures.start();
    console.log(`\nbench:soak  ${MINUTES} min of churn, ~${TASKS} tasks in ${cfg.services} services on ${cfg.agents} x ${cfg.nodesPerAgent} hollow nodes, real etcd\n`);
    console.log(HEADER);
    console.log(formatRow(await figures.sample(0)));
    const start = Date.now();
    const churned = churn(c, cfg, MINUTES * 60_000, log);
    for (let m = 1; m <= MINUTES; m++) {
      // A churn that fails ends the run at once.
      await Promise.race([churned, sleep(Math.max(0, start + m * 60_000 - Date.now()))]);
      console.log(formatRow(await figures.sample(m)));
    }
    const stats = await churned;
    const convergedMs = await converge(c, 300_000).catch((e: Error) => (log(e.message), -1));
    const end = await figures.sample((Date.now() - start) / 60_000, 'end');
    await figures.stop();
    console.log(formatRow(end));
    summary(figures.rows, end, figures, stats, convergedMs, c.server.output);
  } finally {
    await figures.stop();
    await c.stop();
  }
}

function summary(rows: Row[], end: Row, f: Figures, stats: Awaited<ReturnType<typeof churn>>, convergedMs: number, serverLog: string[]): void {
  const m2 = rows.find((r) => r.minute >= 2) ?? end;
  const judge = (ok: boolean) => (ok ? 'yes' : 'NO');
  const mem = flatness(rows, (r) => r.rssMiB, 'mean', MEM_FROM);
  const db = flatness(rows, (r) => r.dbInUseMiB, 'max', DB_FROM);
  const txnTooBig = serverLog.filter((l) => l.includes('too many operations in txn')).length;
  const window = (x: Flatness, what: string) => `${what} ${x.before.toFixed(1)} MiB in minutes ${x.first.join('-')}, ${x.after.toFixed(1)} MiB in minutes ${x.last.join('-')}: ${pct(x.growth)}`;
  console.log(`\nsummary (baseline: this run's first minutes)`);
  console.log(`  churn             ${stats.scales} scales, ${stats.rolls} rolls, ${stats.applies} applies and ${stats.deletes} deletes of a ${cfg.tempInstances}-task service, ${stats.kills} kill -9 of an agent`);
  console.log(`                    ${stats.nodesDown}/${stats.nodesKilled} nodes of killed agents NotReady before the restart; at most ${stats.maxTasksOnKilledNode} tasks on a killed node; ${stats.apiErrors} failed API requests`);
  console.log(`  converged         ${convergedMs >= 0 ? `${(convergedMs / 1000).toFixed(1)} s after the churn stopped` : 'NOT within 300 s'}`);
  console.log(`  server RSS        minute 2 -> end: ${m2.rssMiB.toFixed(0)} -> ${end.rssMiB.toFixed(0)} MiB (${pct(growth(m2.rssMiB, end.rssMiB))})`);
  console.log(`  etcd db           minute 2 -> end: allocated ${m2.dbMiB.toFixed(1)} -> ${end.dbMiB.toFixed(1)} MiB (${pct(growth(m2.dbMiB, end.dbMiB))}), in use ${m2.dbInUseMiB.toFixed(1)} -> ${end.dbInUseMiB.toFixed(1)} MiB (${pct(growth(m2.dbInUseMiB, end.dbInUseMiB))})`);
  console.log(`  events            ${m2.events} at minute 2, ${end.events} at the end (kept an hour)`);
  console.log(`  oldest retry      max ${f.maxRetryS.toFixed(1)} s over the run${f.missedScrapes ? ` (${f.missedScrapes} scrapes of /metrics failed)` : ''}`);
  if (txnTooBig) console.log(`  server log        ${txnTooBig} "too many operations in txn" lines in its last ${serverLog.length}`);
  console.log(`goals (flat = under ${FLAT * 100} % growth, window to window)`);
  const needs = (from: number) => `not judged (needs ${from + 2 * WINDOW_MIN - 1}+ minutes)`;
  console.log(`  memory flat       ${mem.judged ? `${judge(mem.growth < FLAT)}   (${window(mem, 'mean RSS')})` : needs(MEM_FROM)}`);
  console.log(`  etcd flat         ${db.judged ? `${judge(db.growth < FLAT)}   (${window(db, 'peak in use')})` : needs(DB_FROM)}`);
  console.log(`  ${`retries < ${RETRY_LIMIT_S} s`.padEnd(18)}${judge(f.maxRetryS < RETRY_LIMIT_S && f.missedScrapes === 0)}   (no key retried for more than ${RETRY_LIMIT_S} s)`);
  console.log(`  converged         ${judge(convergedMs >= 0)}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
