/**
 * When a Job fires (pure): the instants of its schedule in its time zone,
 * under its daylight-saving policy.
 *
 *   slotsBetween(src, after, until, limit)   the slots in (after, until], oldest first, at most limit
 *   nextSlots(src, after, n)                  the next n slots after `after`
 *   describeSchedule(src)                     the schedule in words (describe-schedule.ts)
 *
 * A list of cron expressions fires at each; an instant two of them (or a gap
 * and a slot) share is one slot. An ISO 8601 repeating interval R[n]/start/
 * period fires at start + i x period for i = 0, 1, ... (n times; an empty
 * start is the job's creation, or `after` when that is not known), by the
 * instant clock whatever the zone; months and years add by the calendar from
 * the start, the day clamped to short months (Jan 31, Feb 28, Mar 31). Cron
 * slots are whole seconds; run names use the slot's second (jobs.ts).
 *
 * Cron, daylight saving. The expression is matched against the wall clock of
 * the job's zone; croner does the matching, read in UTC so that it never
 * sees a clock change (a wall-clock time is kept as the UTC date that reads
 * the same). zone-offsets.ts maps wall clock to instants, and the policy
 * decides what no single instant can:
 *
 *   gap (spring forward, walls [T+p, T+o) never happen)
 *     next  a wall-clock slot in the gap runs at the first instant after it,
 *           T itself (03:00 on a 02:00->03:00 night); several gap slots, or a
 *           gap slot and a 03:00 slot, are one run at T
 *     skip  it does not run
 *   overlap (fall back, walls [T+o, T+p) happen twice)
 *     once  each wall-clock time runs once, at its first instant: a daily
 *           02:30 runs at 02:30 summer time only; a `*\/5 * * * *` job runs
 *           through the first pass and then waits out the repeated hour
 *     twice every instant whose wall clock matches: 02:30 summer time and
 *           02:30 winter time an hour later; `*\/5 * * * *` keeps firing every
 *           5 minutes by the instant clock, through both passes
 *
 * `once` is the default because a daily job run twice on the night clocks
 * fall back is the classic bug (kubernetes/kubernetes#121594); `twice` is
 * for jobs that must keep their cadence through the repeated hour.
 *
 * The same policy holds for every expression. croner 11's own behaviour in a
 * zone depends on the expression's shape (Vixie cron's rule): with a single
 * value in each of second, minute and hour ("fixed-time", `30 2 * * *`) a gap
 * slot runs at the gap's end and a repeated one once (next+once); anything
 * else (`30 2,14 * * *`, `0 * * * *`, `*\/5 * * * *`) skips gap slots and runs
 * repeated ones twice (skip+twice). Neither follows a job's dstPolicy, hence
 * the wall-clock matching here. Schedules in UTC (and its aliases) have no
 * clock changes and skip all of this; a fixed-offset zone (Etc/GMT+5) has no
 * changes in its table.
 *
 * The walk, per offset segment [start, end) (the instants between two clock
 * changes), from the segment holding `after`:
 *
 *   walls > max(after, start) + offset, while wall - offset < end  -> slots
 *     (once: walls below start + before were the previous segment's: dropped)
 *     (next: a wall in the gap before `start` -> a slot at `start`)
 *   next pattern wall w beyond the segment -> jump straight to the first
 *     instant of w (no pattern wall lies between, so the segments between
 *     hold no slot), unless the segment ends in a fall back under `twice`:
 *     then the next segment is walked from its start, the repeated walls
 *     included.
 *
 * Cost (test/bench/slots.ts): croner compiles once per expression (cached,
 * LRU); a zone's year table is built once (zone-offsets.ts); a call for a 1 s
 * cron is two croner steps, ~5 us. Intervals compute the first index after
 * `after` arithmetically (calendar periods by galloping search over the
 * index), never iterating from the start.
 */
import { Cron } from 'croner';
import { DST_POLICY_DEFAULTS } from './defaults.js';
import { CRON_MODE, parseSchedule, type Duration, type Schedule } from './schedule.js';
import type { DstPolicy } from './types.js';
import { firstInstantFrom, isUtc, utcMs, zoneOffsets, type ZoneOffsets } from './zone-offsets.js';

export { describeSchedule } from './describe-schedule.js';

export interface SlotSource {
  schedule: string | readonly string[];
  timeZone?: string;
  dstPolicy?: DstPolicy;
  /** When the job was created: the start of an interval with an empty start. */
  createdAt?: Date;
}

/** Past this no slot is looked for (croner's own horizon is the year 3000). */
const MAX_INSTANT = utcMs(9999, 11, 31, 23, 59, 59);
/** Segments visited per expression and call: a bound, far above any real need. */
const MAX_SEGMENTS = 10_000;
const MAX_COMPILED = 256;

type Compiled =
  | { kind: 'cron'; cron: Cron }
  | Extract<Schedule, { kind: 'interval' }>;

/** Parsed schedules by text; a croner Cron holds ~80 KB, so the cache is small and LRU. */
const compiled = new Map<string, Compiled>();

function compile(s: string): Compiled {
  let c = compiled.get(s);
  if (c) {
    compiled.delete(s);
    compiled.set(s, c);
    return c;
  }
  const parsed = parseSchedule(s);
  c = parsed.kind === 'cron' ? { kind: 'cron', cron: new Cron(s, { mode: CRON_MODE, paused: true, utcOffset: 0 }) } : parsed;
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(s, c);
  return c;
}

const listOf = (src: SlotSource): readonly string[] =>
  typeof src.schedule === 'string' ? [src.schedule] : src.schedule;

/** The slots in (after, until], oldest first, at most `limit`. */
export function slotsBetween(src: SlotSource, after: Date, until: Date, limit: number): Date[] {
  const a = after.getTime();
  const u = Math.min(until.getTime(), MAX_INSTANT);
  if (!(limit > 0) || !(u > a)) return [];
  const list = listOf(src);
  const one = (s: string): number[] => {
    const c = compile(s);
    return c.kind === 'cron' ? cronSlots(c.cron, src, a, u, limit) : intervalSlots(c, src, a, u, limit);
  };
  if (list.length === 1) return one(list[0]!).map((t) => new Date(t));
  const all = [...new Set(list.flatMap(one))].sort((x, y) => x - y);
  return all.slice(0, limit).map((t) => new Date(t));
}

/** The next n slots after `after` (fewer when the schedule ends). */
export function nextSlots(src: SlotSource, after: Date, n: number): Date[] {
  return slotsBetween(src, after, new Date(MAX_INSTANT), n);
}

// ---- cron ----

/** The first pattern wall after `wall` (ms, wall clock read as UTC), or null. */
function nextWall(cron: Cron, wall: number): number | null {
  const d = cron.nextRun(new Date(wall));
  return d && d.getTime() <= MAX_INSTANT ? d.getTime() : null;
}

function cronSlots(cron: Cron, src: SlotSource, after: number, until: number, limit: number): number[] {
  const tz = src.timeZone ?? 'UTC';
  const out: number[] = [];
  if (isUtcName(tz)) {
    for (let w = nextWall(cron, after); w !== null && w <= until && out.length < limit; w = nextWall(cron, w)) out.push(w);
    return out;
  }
  const policy = { ...DST_POLICY_DEFAULTS, ...src.dstPolicy };
  const zone: ZoneOffsets = zoneOffsets(tz);
  const push = (t: number): boolean => {
    if (t > after && t <= until && (out.length === 0 || t > out[out.length - 1]!)) out.push(t);
    return out.length >= limit;
  };
  let seg = zone.segmentAt(after);
  let lo = after; // instants > lo
  let wallFloor = -Infinity; // walls > wallFloor
  for (let visited = 0; visited < MAX_SEGMENTS; visited++) {
    const { start, end, offset, before } = seg;
    if (before < offset && start > lo && start <= until && policy.gap === 'next') {
      const w = nextWall(cron, Math.max(start + before - 1, wallFloor));
      if (w !== null && w < start + offset && push(start)) return out;
    }
    let floor = Math.max(lo + offset, wallFloor);
    if (before > offset && policy.overlap === 'once') floor = Math.max(floor, start + before - 1);
    let w = nextWall(cron, floor);
    for (; w !== null && w - offset < end; w = nextWall(cron, w)) {
      if (w - offset > until || push(w - offset)) return out;
    }
    if (w === null || end > until) return out;
    const next = zone.segmentAt(end);
    if (policy.overlap === 'twice' && next.offset < offset) {
      // The fall back at `end` repeats walls of this segment: walk them again.
      seg = next;
      lo = end - 1;
      wallFloor = -Infinity;
      continue;
    }
    const first = firstInstantFrom(zone, w);
    if (first > until) return out;
    seg = zone.segmentAt(first);
    lo = first - 1;
    wallFloor = w - 1;
  }
  return out;
}

const utcNames = new Map<string, boolean>();
function isUtcName(tz: string): boolean {
  let u = utcNames.get(tz);
  if (u === undefined) {
    u = isUtc(tz);
    if (utcNames.size >= 512) utcNames.clear();
    utcNames.set(tz, u);
  }
  return u;
}

// ---- intervals ----

type Interval = Extract<Schedule, { kind: 'interval' }>;

const fixedMs = (d: Duration): number =>
  1000 * (d.seconds + 60 * (d.minutes + 60 * (d.hours + 24 * (d.days + 7 * d.weeks))));

/** start + k months by the calendar, the day kept or clamped to the month's last (Jan 31 + 1 month = Feb 28). */
export function addMonthsClamped(start: number, k: number): number {
  const d = new Date(start);
  const m = d.getUTCFullYear() * 12 + d.getUTCMonth() + k;
  const y = Math.floor(m / 12);
  const mo = m - 12 * y;
  const last = new Date(utcMs(y, mo + 1, 0)).getUTCDate();
  return utcMs(y, mo, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

function intervalSlots(s: Interval, src: SlotSource, after: number, until: number, limit: number): number[] {
  const start = (s.start ?? src.createdAt)?.getTime() ?? after;
  const months = 12 * s.period.years + s.period.months;
  const ms = fixedMs(s.period);
  const at = months === 0 ? (i: number): number => start + i * ms : (i: number): number => addMonthsClamped(start, i * months) + i * ms;
  const count = s.repeat ?? Infinity;
  // i: the first index with at(i) > after.
  let i = 0;
  if (at(0) <= after) {
    if (months === 0) {
      i = Math.max(1, Math.floor((after - start) / ms));
      while (i > 1 && at(i - 1) > after) i--;
      while (at(i) <= after) i++;
    } else {
      let lo = 0; // at(lo) <= after < at(hi)
      let hi = 1;
      while (at(hi) <= after) [lo, hi] = [hi, hi * 2];
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (at(mid) <= after) lo = mid;
        else hi = mid;
      }
      i = hi;
    }
  }
  const out: number[] = [];
  for (; i < count && out.length < limit; i++) {
    const t = at(i);
    if (t > until) break;
    out.push(t);
  }
  return out;
}
