/**
 * `npm run bench:failover`: how long the cluster goes without a leader
 * acting when the leader dies, for lease TTL 5 s and 2 s.
 *
 *   etcd (its own, free ports) ◄── stowage server A (leader) + B (standby, campaigning)
 *     ▲
 *     └── stowage agent --driver sim --nodes 2, Service "web" with 4 instances
 *
 * Each round: kill -9 the leader (the standby's key is already in etcd),
 * time from the kill to the new leader's services loop logging "first
 * reconcile after takeover" (its own log timestamp: the loop reconciled
 * "web" against a synced cache, as leader). The killed one is started again
 * as the next standby, and the next round waits until it campaigns.
 * Split in two: kill -> "elected leader" (the lease running out and the
 * standby seeing its key lead), elected -> first reconcile (loops started,
 * caches read). Baseline, same run: SIGTERM of the leader (its lease is
 * revoked at once), to the same line: what a takeover costs without the
 * wait for the lease.
 *
 * Goal: median <= TTL + 0.5 s, max <= TTL + 1 s. At the end the service's
 * task uids must be the ones it started with (no task replaced by failovers).
 * Flags: --kills N (20) --baseline N (5) --ttls 5,2.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { ROOT, type AgentProc } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { applyService, leaderKey, linesSince, runningUids, serverOf, spawnSimAgent } from '../helpers/failover.js';
import { spawnServer, until, type ServerProc } from '../helpers/stowage.js';
import { median } from './stats.js';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : d;
};
const KILLS = Number(arg('kills', '20'));
const BASELINE = Number(arg('baseline', '5'));
const TTLS = arg('ttls', '5,2').split(',').map(Number);
const BUILT = existsSync(resolve(ROOT, 'bin/stowage'));

interface Round {
  total: number;
  toElected: number;
  toReconcile: number;
}

const max = (xs: number[]): number => Math.max(...xs);
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function bench(ttl: number): Promise<{ kills: Round[]; baseline: Round[]; uidsKept: boolean }> {
  const etcd: TestEtcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  const servers: ServerProc[] = [];
  let agent: AgentProc | undefined;
  const spawn = async (until_: 'leading' | 'leader-known') => {
    const p = await spawnServer(etcd.endpoint, ['--lease-ttl', String(ttl), '--log-level', 'info'], [], { until: until_, built: BUILT });
    servers.push(p);
    return p;
  };
  const live = () => servers.filter((x) => x.child.exitCode === null && x.child.signalCode === null);
  /** A standby is ready when its key is in etcd (it logged "campaigning"). */
  const campaigning = (x: ServerProc) => until('the standby to campaign', () => linesSince(x, 0, (l) => l.message === 'campaigning').length > 0, 30_000, 50);
  try {
    await spawn('leading');
    await campaigning(await spawn('leader-known'));
    agent = await spawnSimAgent(etcd.endpoint);
    const leader0 = serverOf(live(), (await leaderKey(client))?.identity)!;
    await applyService(leader0.url, 'web', 4);
    const uids = await until('4 tasks Running', () => runningUids(store, 'web', 4), 60_000, 100);

    const round = async (signal: 'SIGKILL' | 'SIGTERM'): Promise<Round> => {
      const leader = await until('a leader among the live servers', async () => serverOf(live(), (await leaderKey(client))?.identity), 30_000, 50);
      const standby = live().find((x) => x !== leader)!;
      const t0 = Date.now();
      leader.child.kill(signal);
      const line = await until(
        'the new leader to reconcile',
        () => linesSince(standby, t0, (l) => l.message === 'first reconcile after takeover' && l.loop === 'services')[0],
        ttl * 1000 + 30_000,
        20,
      );
      const elected = linesSince(standby, t0, (l) => l.message === 'elected leader')[0];
      const at = Date.parse(String(line.timestamp));
      const el = elected ? Date.parse(String(elected.timestamp)) : at;
      await leader.stop('SIGKILL');
      await campaigning(await spawn('leader-known'));
      return { total: at - t0, toElected: el - t0, toReconcile: at - el };
    };
    const baseline: Round[] = [];
    for (let i = 0; i < BASELINE; i++) baseline.push(await round('SIGTERM'));
    const kills: Round[] = [];
    for (let i = 0; i < KILLS; i++) {
      const r = await round('SIGKILL');
      kills.push(r);
      process.stderr.write(`  ttl ${ttl}s kill ${i + 1}/${KILLS}: ${s(r.total)} (elected after ${s(r.toElected)}, reconciled ${r.toReconcile} ms later)\n`);
    }
    const end = await until('4 tasks Running after the failovers', () => runningUids(store, 'web', 4), 60_000, 100);
    return { kills, baseline, uidsKept: JSON.stringify(end) === JSON.stringify(uids) };
  } finally {
    for (const x of servers) await x.stop('SIGKILL').catch(() => undefined);
    await agent?.stop('SIGKILL').catch(() => undefined);
    client.close();
    etcd.stop();
  }
}

console.log(`\nbench:failover  ${KILLS} kill -9s of the leader per lease TTL (a standby campaigning each time), baseline ${BASELINE} SIGTERMs; real etcd (one member), sim agent, 4-instance service`);
console.log('time from the kill to the new leader\'s services loop logging "first reconcile after takeover"\n');
let ok = true;
for (const ttl of TTLS) {
  const r = await bench(ttl);
  const tot = r.kills.map((x) => x.total);
  const goalMed = ttl * 1000 + 500;
  const goalMax = ttl * 1000 + 1000;
  const met = median(tot) <= goalMed && max(tot) <= goalMax;
  ok &&= met && r.uidsKept;
  const row = (name: string, xs: number[], goal = '') => console.log(`  ${name.padEnd(38)} median ${s(median(xs)).padStart(8)}   max ${s(max(xs)).padStart(8)}   ${goal}`);
  console.log(`lease TTL ${ttl} s`);
  row('kill -9 -> first reconcile', tot, `goal: median <= ${s(goalMed)}, max <= ${s(goalMax)}  ${met ? 'met' : 'MISSED'}`);
  row('  of which kill -9 -> elected', r.kills.map((x) => x.toElected));
  row('  of which elected -> first reconcile', r.kills.map((x) => x.toReconcile));
  row('baseline: SIGTERM -> first reconcile', r.baseline.map((x) => x.total));
  console.log(`  task uids unchanged across ${KILLS + BASELINE} failovers: ${r.uidsKept ? 'yes' : 'NO'}\n`);
}
process.exitCode = ok ? 0 : 1;
