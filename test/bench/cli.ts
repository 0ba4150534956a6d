/**
 * `npm run bench:cli`: how fast stowctl starts, beside a bare `node -e 0` timed in the same run.
 *
 *   for each of N rounds, interleaved:   node -e 0 | bin/stowctl --help
 *                                        node -e 0 | bin/stowctl version --client
 *                                        node -e 0 | bin/stowctl get nodes   (against a real server)
 *
 * Each case is a whole process (spawn to exit, output read and dropped), paired with the
 * `node -e 0` run just before it, so a machine that slows down mid-run slows both. Prints the
 * medians, the median of the pairwise ratios, and the goal: --help and version --client within
 * 1.3x of `node -e 0`. `get nodes` (one HTTP round trip, a table) is shown beside it without a goal.
 *
 * Runs the built CLI (`make build`: bin/stowctl -> dist/stowctl.mjs). Flags: --runs N (20),
 * --no-server (skip `get nodes`, no etcd or server started).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!(v >= 1) || !Number.isInteger(v)) throw new RangeError(`--${name}: "${process.argv[i + 1]}" is not a whole number >= 1`);
  return v;
};
const RUNS = arg('runs', 20);
const SERVER = !process.argv.includes('--no-server');
const GOAL = 1.3;
const BIN = resolve(ROOT, 'bin/stowctl');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One whole process, spawn to exit, in ms; its output is read and dropped. */
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.toString().trim()}`);
  return ms;
}

interface Case {
  name: string;
  args: string[];
  goal: boolean;
  times: number[];
  base: number[];
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('run `make build` first: bin/stowctl is missing');
  let etcd: TestEtcd | undefined;
  let server: ServerProc | undefined;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    const cases: Case[] = [
      { name: 'stowctl --help', args: ['--help'], goal: true, times: [], base: [] },
      { name: 'stowctl version --client', args: ['version', '--client'], goal: true, times: [], base: [] },
    ];
    if (SERVER) {
      etcd = await startEtcd();
      server = await spawnServer(etcd.endpoint);
      env.STOWAGE_SERVER = server.url;
      cases.push({ name: 'stowctl get nodes', args: ['get', 'nodes'], goal: false, times: [], base: [] });
    }
    const node = process.execPath;
    // One warm-up of each (the page cache, the server's first list).
    for (const c of cases) time(BIN, c.args, env);
    time(node, ['-e', '0'], env);
    for (let i = 0; i < RUNS; i++) {
      for (const c of cases) {
        c.base.push(time(node, ['-e', '0'], env));
        c.times.push(time(BIN, c.args, env));
      }
    }
    console.log(`stowctl startup: median of ${RUNS} runs each, interleaved with node -e 0 (${process.version}); goal: within ${GOAL}x of node -e 0`);
    let missed = false;
    for (const c of cases) {
      const ratio = median(c.times.map((t, i) => t / c.base[i]!));
      const verdict = c.goal ? (ratio <= GOAL ? 'goal met' : 'goal MISSED') : 'no goal (a round trip to the server)';
      if (c.goal && ratio > GOAL) missed = true;
      console.log(
        `  ${c.name.padEnd(26)} ${median(c.times).toFixed(1).padStart(7)} ms   node -e 0 ${median(c.base).toFixed(1).padStart(7)} ms   ratio ${ratio.toFixed(2)}x   ${verdict}`,
      );
    }
    process.exitCode = missed ? 1 : 0;
  } finally {
    await server?.stop();
    etcd?.stop();
  }
}

await main();
