/**
 * `npm run bench:node-loss`: how long a service runs short when a host dies,
 * as a ratio to the time the cluster is told to wait before giving its tasks
 * away (the agent's heartbeat TTL + the server's --node-lost-grace).
 *
 *   etcd ◄── stowage server (leader, --node-lost-grace G) ◄── two sim agents on the
 *            agent API (--server, --heartbeat-ttl T), "a-" and "b-", 2 hollow nodes each;
 *            Service "web", 8 instances
 *
 * Each round kills the agent process that hosts the service's tasks (kill -9),
 * and times, from the kill (polling etcd every 50 ms):
 *   - its nodes NotReady (the heartbeat lease ran out: at most T),
 *   - its tasks Lost (the grace ran out),
 *   - all 8 instances Running again on the other agent's nodes.
 * The killed agent is started again before the next round, which kills the
 * other one. Baseline, same run: SIGTERM of the agent (it revokes its lease,
 * so only the grace is waited for); its ratio is to G alone.
 * Flags: --rounds N (5) --baseline N (2) --configs T:G,T:G (5:10,2:3).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Node, Task } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { NODE, ROOT, spawnAgent, type AgentProc } from '../helpers/agent.js';
import { startEtcd } from '../helpers/etcd.js';
import { applyService } from '../helpers/failover.js';
import { serviceTasks, sleep, spawnServer, until, type ServerProc } from '../helpers/stowage.js';
import { median } from './stats.js';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : d;
};
const ROUNDS = Number(arg('rounds', '5'));
const BASELINE = Number(arg('baseline', '2'));
const CONFIGS = arg('configs', '5:10,2:3').split(',').map((c) => c.split(':').map(Number) as [number, number]);
const INSTANCES = 8;
const BUILT = existsSync(resolve(ROOT, 'bin/stowage'));

interface Round {
  notReady: number;
  lost: number;
  running: number;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const live = (t: Task) => t.spec.desiredState !== 'Killed' && !['Lost', 'Killed', 'Failed', 'Succeeded'].includes(t.status?.state ?? '');

async function bench(ttl: number, grace: number): Promise<{ kills: Round[]; terms: Round[] }> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  let server: ServerProc | undefined;
  const agents = new Map<string, AgentProc>();
  const startAgent = async (prefix: string) => {
    agents.set(prefix, await spawnAgent(['--server', server!.url, '--driver', 'sim', '--nodes', '2', '--node-prefix', prefix, '--cpus', '4', '--mem', '4096', '--disk', '1000', '--heartbeat-ttl', String(ttl)]));
    await until(`${prefix} nodes Ready`, async () => {
      const ns = (await store.list<Node>(NODE)).items.filter((n) => n.object.metadata.name.startsWith(prefix));
      return ns.length === 2 && ns.every((n) => n.object.status?.state === 'Ready');
    }, 30_000, 50);
  };
  try {
    server = await spawnServer(etcd.endpoint, ['--node-lost-grace', String(grace), '--log-level', 'info'], [], { until: 'leading', built: BUILT });
    await startAgent('a-');
    await startAgent('b-');
    await applyService(server.url, 'web', INSTANCES);
    const running = async () => {
      const ts = (await serviceTasks(store, 'web')).filter(live);
      return ts.length === INSTANCES && ts.every((t) => t.status?.state === 'Running') ? ts : undefined;
    };
    await until('8 tasks Running', running, 60_000, 50);

    const round = async (signal: 'SIGKILL' | 'SIGTERM'): Promise<Round> => {
      const ts = (await running())!;
      const on = (prefix: string) => ts.filter((t) => t.status?.nodeName?.startsWith(prefix)).length;
      const victim = on('a-') >= on('b-') ? 'a-' : 'b-';
      const uids = new Set(ts.filter((t) => t.status?.nodeName?.startsWith(victim)).map((t) => String(t.metadata.uid)));
      const t0 = Date.now();
      await agents.get(victim)!.stop(signal);
      const r: Partial<Round> = {};
      while (r.running === undefined) {
        if (Date.now() - t0 > (ttl + grace) * 1000 + 60_000) throw new Error(`round ${signal}: the service did not recover`);
        const now = Date.now() - t0;
        const nodes = (await store.list<Node>(NODE)).items.filter((n) => n.object.metadata.name.startsWith(victim));
        if (r.notReady === undefined && nodes.every((n) => n.object.status?.state === 'NotReady')) r.notReady = now;
        const all = await serviceTasks(store, 'web');
        if (r.lost === undefined && all.filter((t) => uids.has(String(t.metadata.uid))).every((t) => t.status?.state === 'Lost')) r.lost = now;
        const l = all.filter(live);
        if (r.lost !== undefined && l.length === INSTANCES && l.every((t) => t.status?.state === 'Running' && !t.status.nodeName?.startsWith(victim))) r.running = now;
        await sleep(50);
      }
      await startAgent(victim);
      return { notReady: r.notReady ?? r.lost!, lost: r.lost!, running: r.running };
    };
    const terms: Round[] = [];
    for (let i = 0; i < BASELINE; i++) terms.push(await round('SIGTERM'));
    const kills: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await round('SIGKILL');
      kills.push(r);
      process.stderr.write(`  ttl ${ttl}s grace ${grace}s kill ${i + 1}/${ROUNDS}: NotReady ${s(r.notReady)}, Lost ${s(r.lost)}, all Running ${s(r.running)}\n`);
    }
    return { kills, terms };
  } finally {
    for (const a of agents.values()) await a.stop('SIGKILL').catch(() => undefined);
    await server?.stop('SIGKILL').catch(() => undefined);
    client.close();
    etcd.stop();
  }
}

console.log(`\nbench:node-loss  ${ROUNDS} kill -9s of a sim agent (2 hollow nodes) per config, baseline ${BASELINE} SIGTERMs; real etcd, one server, agents on the agent API, ${INSTANCES}-instance service`);
console.log('time from the agent\'s death to all instances Running on the other agent\'s nodes, and its ratio to the wait the cluster is told to take\n');
for (const [ttl, grace] of CONFIGS) {
  const r = await bench(ttl, grace);
  const row = (name: string, xs: number[], over?: number) =>
    console.log(
      `  ${name.padEnd(34)} median ${s(median(xs)).padStart(8)}   max ${s(Math.max(...xs)).padStart(8)}` +
        (over ? `   ratio to ${s(over)}: median ${(median(xs) / over).toFixed(2)}, max ${(Math.max(...xs) / over).toFixed(2)}` : ''),
    );
  console.log(`heartbeat TTL ${ttl} s, --node-lost-grace ${grace} s`);
  row('kill -9 -> all Running elsewhere', r.kills.map((x) => x.running), (ttl + grace) * 1000);
  row('  of which kill -9 -> NotReady', r.kills.map((x) => x.notReady), ttl * 1000);
  row('  of which kill -9 -> Lost', r.kills.map((x) => x.lost), (ttl + grace) * 1000);
  row('  of which Lost -> all Running', r.kills.map((x) => x.running - x.lost));
  row('baseline: SIGTERM -> all Running', r.terms.map((x) => x.running), grace * 1000);
  console.log('');
}
