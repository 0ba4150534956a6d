/**
 * node --import tsx test/bench/slots.ts — the cost of one slotsBetween call
 * as the job timers loop makes it (from the slot just handled to now),
 * beside a baseline in the same run: a croner Cron built per call in the
 * job's zone and stepped with nextRun (croner's own zone handling, the first
 * cut of slots.ts). Single thread; wall clock; µs per call, median of 5 runs.
 *
 *   case ─> warm-up ─> N calls, 5 times ─> median µs/call (slotsBetween | baseline)
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Cron } from 'croner';
import { nextSlots, slotsBetween, type SlotSource } from '../../pkg/api/slots.js';
import { CRON_MODE, parseSchedule } from '../../pkg/api/schedule.js';

const N = Number(process.env.BENCH_CALLS ?? 20_000);
const T0 = Date.parse('2027-06-01T00:00:00Z');

/** The baseline: parse and build a Cron in the zone on every call, step with nextRun. */
function baseline(src: SlotSource, after: Date, until: Date, limit: number): Date[] {
  const expr = src.schedule as string;
  parseSchedule(expr, src.timeZone);
  const cron = new Cron(expr, { mode: CRON_MODE, paused: true, timezone: src.timeZone ?? 'UTC' });
  const out: Date[] = [];
  for (let d = cron.nextRun(after); d && d <= until && out.length < limit; d = cron.nextRun(d)) out.push(d);
  return out;
}

type Call = (src: SlotSource, after: Date, until: Date, limit: number) => Date[];

/** µs per call, median of 5 runs of n calls; call i asks (T0 + i*step, T0 + (i+1)*step]. */
function time(f: Call, src: SlotSource, step: number, n: number): number {
  const runs: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) f(src, new Date(T0 + i * step), new Date(T0 + (i + 1) * step), 10);
    if (r > 0) runs.push(((performance.now() - t) * 1000) / n);
  }
  return runs.sort((a, b) => a - b)[2]!;
}

const cases: [string, SlotSource, number, boolean][] = [
  ['1 s cron, Europe/Warsaw', { schedule: '* * * * * *', timeZone: 'Europe/Warsaw' }, 1000, true],
  ['1 s cron, UTC', { schedule: '* * * * * *', timeZone: 'UTC' }, 1000, true],
  ['*/5 * * * *, America/New_York', { schedule: '*/5 * * * *', timeZone: 'America/New_York' }, 300_000, true],
  ['30 2 * * *, Europe/Warsaw, twice', { schedule: '30 2 * * *', timeZone: 'Europe/Warsaw', dstPolicy: { gap: 'skip', overlap: 'twice' } }, 86_400_000, true],
  ['list of 3 crons, Europe/Warsaw', { schedule: ['*/2 * * * * *', '*/3 * * * * *', '0 * * * *'], timeZone: 'Europe/Warsaw' }, 1000, false],
  ['R/2020-01-01T00:00:00Z/PT1S', { schedule: 'R/2020-01-01T00:00:00Z/PT1S' }, 1000, false],
  ['R/2020-01-31T00:00:00Z/P1M', { schedule: 'R/2020-01-31T00:00:00Z/P1M' }, 86_400_000, false],
];

console.log(`slotsBetween, ${N} calls per case (load ${loadavg()[0]!.toFixed(2)})`);
console.log(`${'case'.padEnd(36)} ${'slotsBetween'.padStart(14)} ${'baseline'.padStart(14)}`);
for (const [name, src, step, withBaseline] of cases) {
  const ours = time(slotsBetween, src, step, N);
  const base = withBaseline ? `${time(baseline, src, step, Math.ceil(N / 10)).toFixed(1)} µs` : '-';
  console.log(`${name.padEnd(36)} ${`${ours.toFixed(1)} µs`.padStart(14)} ${base.padStart(14)}`);
}

// 10,000 jobs, one call each, spread over 60 second-of-minute expressions and four zones.
const zones = ['Europe/Warsaw', 'America/New_York', 'Asia/Tokyo', 'UTC'];
const jobs: SlotSource[] = Array.from({ length: 10_000 }, (_, i) => ({ schedule: `${i % 60} * * * * *`, timeZone: zones[i % 4] }));
for (const j of jobs) slotsBetween(j, new Date(T0), new Date(T0 + 60_000), 10);
let t = performance.now();
for (const j of jobs) slotsBetween(j, new Date(T0 + 60_000), new Date(T0 + 120_000), 10);
console.log(`10,000 jobs, one call each: ${(performance.now() - t).toFixed(1)} ms`);

t = performance.now();
const far = nextSlots({ schedule: '0 0 29 2 +1', timeZone: 'Europe/Warsaw' }, new Date(T0), 3);
console.log(`nextSlots(3) of "0 0 29 2 +1" (Feb 29 on a Monday, ${far.map((d) => d.getUTCFullYear()).join(', ')}), cold: ${(performance.now() - t).toFixed(1)} ms`);
t = performance.now();
slotsBetween({ schedule: '* * * * * *', timeZone: 'Australia/Lord_Howe' }, new Date(T0), new Date(T0 + 1000), 10);
console.log(`first call in a new zone (its year table built): ${(performance.now() - t).toFixed(1)} ms`);
