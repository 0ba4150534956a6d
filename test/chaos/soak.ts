/**
 * `npm run chaos -- --minutes N` (default 5): the chaos scenario of
 * test/chaos/chaos.test.ts for N minutes of faults, with its figures:
 * faults injected, leader takeovers, tasks replaced, job slots
 * ran / missed / doubled, the longest two-container overlap of a task uid.
 * Exits non-zero when a guarantee broke (the problems are printed).
 */
import { keepLogs } from '../helpers/job-slots.js';
import { describeFigures, runChaos } from './scenario.js';

const i = process.argv.indexOf('--minutes');
const minutes = i >= 0 ? Number(process.argv[i + 1]) : 5;
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error(`--minutes: "${process.argv[i + 1]}" must be a positive number of minutes`);
  process.exit(2);
}
const every = Number(process.env.CHAOS_LEADER_KILL_EVERY_S ?? 8);
console.log(`chaos soak: ${minutes} min of faults (leader kill -9 every ${every} s; an agent, an etcd member and dockerd once per 90 s)`);
const out = await runChaos({ faultMs: minutes * 60_000, leaderKillEveryMs: every * 1000, settleMs: 120_000, progress: (l) => console.log(`  ${l}`), tag: `soak${process.pid}` });
console.log(describeFigures(out.figures).join('\n'));
console.log(`server logs: ${keepLogs('chaos-soak', out.servers)}`);
if (out.problems.length) {
  console.log(`\n${out.problems.length} problem(s):\n${out.problems.join('\n')}`);
  process.exitCode = 1;
} else console.log('\nno guarantee broken');
