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
 * Also the CPU time (user + sys) of all runs of a case against all of its `node -e 0` runs, from
 * the kernel's count of this process's children (/proc/self/stat): on a machine other work
 * keeps busy, wall time swings with the scheduler and CPU time much less.
 *
 * Runs the built CLI (`make build`: bin/stowctl -> dist/stowctl.mjs). Flags: --runs N (20),
 * --no-server (skip `get nodes`, no etcd or server started).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { median } from './stats.js';

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

const TICK_MS = 10; // USER_HZ is 100 on Linux
/** CPU ms used by this process's waited-for children so far (cutime + cstime). */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** One whole process, spawn to exit: wall ms and CPU ms; its output is read and dropped. */
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): { wall: number; cpu: number } {
  const c = childCpuMs();
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.toString().trim()}`);
  return { wall, cpu: childCpuMs() - c };
}

interface Case {
  name: string;
  args: string[];
  goal: boolean;
  times: number[];
  base: number[];
  cpu: number;
  baseCpu: number;
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('run `make build` first: bin/stowctl is missing');
  let etcd: TestEtcd | undefined;
  let server: ServerProc | undefined;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    const cases: Case[] = [
      { name: 'stowctl --help', args: ['--help'], goal: true, times: [], base: [], cpu: 0, baseCpu: 0 },
      { name: 'stowctl version --client', args: ['version', '--client'], goal: true, times: [], base: [], cpu: 0, baseCpu: 0 },
    ];
    if (SERVER) {
      etcd = await startEtcd();
      server = await spawnServer(etcd.endpoint);
      env.STOWAGE_SERVER = server.url;
      cases.push({ name: 'stowctl get nodes', args: ['get', 'nodes'], goal: false, times: [], base: [], cpu: 0, baseCpu: 0 });
    }
    const node = process.execPath;
    // One warm-up of each (the page cache, the server's first list).
    for (const c of cases) time(BIN, c.args, env);
    time(node, ['-e', '0'], env);
    for (let i = 0; i < RUNS; i++) {
      for (const c of cases) {
        const b = time(node, ['-e', '0'], env);
        const a = time(BIN, c.args, env);
        c.base.push(b.wall);
        c.times.push(a.wall);
        c.baseCpu += b.cpu;
        c.cpu += a.cpu;
      }
    }
    console.log(`stowctl startup: median of ${RUNS} runs each, interleaved with node -e 0 (${process.version}); goal: within ${GOAL}x of node -e 0`);
    let missed = false;
    for (const c of cases) {
      const ratio = median(c.times.map((t, i) => t / c.base[i]!));
      const verdict = c.goal ? (ratio <= GOAL ? 'goal met' : 'goal MISSED') : 'no goal (a round trip to the server)';
      if (c.goal && ratio > GOAL) missed = true;
      console.log(
        `  ${c.name.padEnd(26)} ${median(c.times).toFixed(1).padStart(7)} ms   node -e 0 ${median(c.base).toFixed(1).padStart(7)} ms   ratio ${ratio.toFixed(2)}x   ` +
          `(CPU ${(c.cpu / RUNS).toFixed(0)} / ${(c.baseCpu / RUNS).toFixed(0)} ms = ${(c.cpu / c.baseCpu).toFixed(2)}x)   ${verdict}`,
      );
    }
    process.exitCode = missed ? 1 : 0;
  } finally {
    await server?.stop();
    etcd?.stop();
  }
}

await main();
