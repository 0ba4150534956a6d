/**
 * Two minutes of `npm run bench:soak` (test/helpers/soak.ts) at a third of
 * its size: one server, 3 sim agent processes of 15 hollow nodes, ~300 tasks
 * in 6 services, scaled, rolled, a service applied and deleted, and an agent
 * killed -9 and started again three times. No Docker: etcd and processes.
 *
 * What must hold:
 * - everything converges after the churn: every service's deployment
 *   complete with all its instances Running, on its last template, no task of
 *   a deleted service, every node Ready. Within 60 s: it took 0.1-0.8 s in
 *   runs with the machine's load at 4-18 (the loops keep up with the churn);
 *   60 s leaves room for a slower machine and for the last restarted agent,
 *   whose nodes' dead tasks are replaced after the heartbeat TTL (2 s) and
 *   the node-lost grace (5 s).
 * - no key retried for more than 60 s (stowage_workqueue_oldest_retry_seconds,
 *   scraped every 5 s): a loop that keeps failing on a key is stuck.
 * - server RSS at the end at most 1.25x its RSS at minute 1. Measured
 *   without a leak: -1 % to +9 % (6 runs, load 4-18). A leak of 20 KB for
 *   each informer event (~80 MiB a minute here) gave +27 to +30 % and fails it. A
 *   ratio to minute 1 is blunt, since minute 1 already holds the deployment's
 *   share of any leak: 1.5x let even 50 KB an event (+44 %) pass. Slow leaks
 *   are for `npm run bench:soak`'s 30 minutes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { churn, converge, deploy, startSoakCluster, type SoakConfig } from '../helpers/soak.js';
import { Figures, HEADER, formatRow } from '../helpers/soak-figures.js';
import { use } from '../helpers/use.js';

const cfg: SoakConfig = {
  services: 6,
  instances: 50,
  spread: 0.3,
  tempInstances: 20,
  agents: 3,
  nodesPerAgent: 15,
  tickMs: 5000,
  killEveryTicks: 8,
  downTicks: 4,
  nodeLostGraceS: 5,
};
const CHURN_MS = 110_000;
const CONVERGE_MS = 60_000;
const RETRY_LIMIT_S = 60;
const RSS_LIMIT = 1.25;

describe('soak: two minutes of churn on hollow nodes', () => {
  const c = use(async () => {
    const cluster = await startSoakCluster(cfg);
    try {
      await deploy(cluster, cfg, 90_000);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  });

  it('converges after it, retries no key for a minute, and keeps its memory', async () => {
    const figures = new Figures(c);
    figures.start();
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    try {
      const start = Date.now();
      const churned = churn(c, cfg, CHURN_MS, log);
      await Promise.race([churned, new Promise((r) => setTimeout(r, 60_000))]);
      const minute1 = await figures.sample(1);
      const stats = await churned;
      const convergedMs = await converge(c, CONVERGE_MS);
      const end = await figures.sample((Date.now() - start) / 60_000, 'end');
      for (const l of [HEADER, ...figures.rows.map(formatRow), ...lines]) console.log(`# ${l}`);
      console.log(`# converged ${convergedMs} ms after the churn; ${JSON.stringify(stats)}`);

      // The churn did what it says, so the figures mean something.
      assert.equal(stats.apiErrors, 0, 'every apply and delete was accepted');
      assert.ok(stats.kills >= 2 && stats.restarts === stats.kills, `${stats.kills} kills, ${stats.restarts} restarts`);
      assert.equal(stats.nodesDown, stats.nodesKilled, "every node of a killed agent went NotReady before it came back");
      assert.ok(stats.rolls >= 5 && stats.scales >= 10 && stats.deletes >= 2, JSON.stringify(stats));

      assert.ok(figures.missedScrapes === 0, `${figures.missedScrapes} scrapes lacked stowage_workqueue_oldest_retry_seconds`);
      assert.ok(figures.maxRetryS < RETRY_LIMIT_S, `a key was retried for ${figures.maxRetryS} s`);
      assert.ok(end.rssMiB <= RSS_LIMIT * minute1.rssMiB, `server RSS ${end.rssMiB.toFixed(0)} MiB at the end, ${minute1.rssMiB.toFixed(0)} MiB at minute 1`);
    } finally {
      await figures.stop();
    }
  });
});
