/**
 * UTC offsets of an IANA time zone over time (pure: Intl only, no I/O), as
 * segments: spans of instants with one offset, split where the zone's clocks
 * change. A wall-clock time is `instant + offset` written as a UTC date.
 *
 *   spring forward at T (offset p -> o, p < o): walls [T+p, T+o) never happen
 *   fall back at T      (offset p -> o, p > o): walls [T+o, T+p) happen twice,
 *                                               before T and again from T
 *
 *   segmentAt(t)               the segment holding instant t
 *   firstInstantFrom(zone, w)  the first instant whose wall clock reads w or later
 *
 * A table per UTC year, built on first use: the offset is sampled every 12
 * hours from two days before the year to its end, and bisected to the second
 * where two samples differ (about 750 Intl calls, 2-7 ms cold), so lookups
 * after that are a scan of the year's few changes. Assumes a zone changes its offset at most once in 12
 * hours, which holds for every rule in the tz database. Instants before 1970
 * take the offset of 1970-01-01, after 9999 that of 9999-12-31. Tables live in
 * a bounded cache (oldest dropped first).
 */

export interface OffsetSegment {
  /** First instant (ms) with this offset; a table edge when `before === offset`. */
  start: number;
  /** First instant (ms) after the segment: the next change or a table edge. */
  end: number;
  /** wall = instant + offset (ms). */
  offset: number;
  /** The offset just before `start`. */
  before: number;
}

export interface ZoneOffsets {
  segmentAt(t: number): OffsetSegment;
}

interface Transition {
  at: number;
  before: number;
  after: number;
}
interface YearTable {
  from: number;
  to: number;
  initial: number;
  transitions: Transition[];
}

const HOUR = 3_600_000;
const SAMPLE_STEP = 12 * HOUR;
const LEAD_IN = 48 * HOUR;
/** No zone is more than 14 hours from UTC. */
const MAX_ABS_OFFSET = 14 * HOUR;
const FIRST_YEAR = 1970;
const LAST_YEAR = 9999;
const MAX_TABLES = 2048;
const MAX_ZONES = 512;

const WALL_RE = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/;

/** Date.UTC for any year (Date.UTC maps years 0-99 to 1900-1999). */
export function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  t.setUTCHours(h, mi, s, ms);
  return t.getTime();
}

class IanaZone implements ZoneOffsets {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly tables = new Map<number, YearTable>();

  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
  }

  /** The offset at instant t, exact to the second. */
  private offsetAt(t: number): number {
    const s = Math.floor(t / 1000) * 1000;
    const m = WALL_RE.exec(this.fmt.format(s));
    if (!m) throw new Error(`cannot read the wall clock of ${this.name} at ${new Date(s).toISOString()}`);
    return utcMs(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!, +m[6]!) - s;
  }

  /** The first whole second in (lo, hi] whose offset differs from lo's (one exists). */
  private changeIn(lo: number, hi: number, before: number): number {
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (this.offsetAt(mid) === before) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  private table(year: number): YearTable {
    let t = this.tables.get(year);
    if (t) return t;
    const from = utcMs(year, 0, 1) - LEAD_IN;
    const to = utcMs(year + 1, 0, 1);
    const initial = this.offsetAt(from);
    const transitions: Transition[] = [];
    let prevT = from;
    let prev = initial;
    for (let s = from + SAMPLE_STEP; ; s = Math.min(s + SAMPLE_STEP, to - 1000)) {
      const o = this.offsetAt(s);
      if (o !== prev) {
        const at = this.changeIn(prevT, s, prev);
        transitions.push({ at, before: prev, after: this.offsetAt(at) });
        prev = o;
      }
      prevT = s;
      if (s >= to - 1000) break;
    }
    t = { from, to, initial, transitions };
    if (this.tables.size >= MAX_TABLES) this.tables.delete(this.tables.keys().next().value!);
    this.tables.set(year, t);
    return t;
  }

  segmentAt(t: number): OffsetSegment {
    const year = new Date(t).getUTCFullYear();
    if (!(year >= FIRST_YEAR)) return this.edge(this.table(FIRST_YEAR), -Infinity, true);
    if (year > LAST_YEAR) return this.edge(this.table(LAST_YEAR), Infinity, false);
    const { from, to, initial, transitions } = this.table(year);
    let start = from;
    let offset = initial;
    let before = initial;
    let end = to;
    for (const tr of transitions) {
      if (tr.at <= t) {
        start = tr.at;
        before = tr.before;
        offset = tr.after;
      } else {
        end = tr.at;
        break;
      }
    }
    return { start, end, offset, before };
  }

  /** A segment beyond the tables, with the offset at their first or last instant. */
  private edge(tab: YearTable, far: number, below: boolean): OffsetSegment {
    const offset = below ? tab.initial : (tab.transitions.at(-1)?.after ?? tab.initial);
    return below
      ? { start: far, end: tab.from + LEAD_IN, offset, before: offset }
      : { start: tab.to, end: far, offset, before: offset };
  }
}

const zones = new Map<string, IanaZone>();

/** The offsets of an IANA zone (throws RangeError for an unknown one). */
export function zoneOffsets(name: string): ZoneOffsets {
  let z = zones.get(name);
  if (!z) {
    z = new IanaZone(name);
    if (zones.size >= MAX_ZONES) zones.delete(zones.keys().next().value!);
    zones.set(name, z);
  }
  return z;
}

/** True when `name` is UTC under another name (no offset, no changes, ever). */
export function isUtc(name: string): boolean {
  if (name === 'UTC') return true;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone === 'UTC';
  } catch {
    return false;
  }
}

/**
 * The first instant whose wall clock reads `wall` or later: the instant of
 * `wall`, its first one when it happens twice, the end of the gap when it
 * never happens.
 */
export function firstInstantFrom(zone: ZoneOffsets, wall: number): number {
  // That instant lies in [wall - 14 h, wall + 14 h]; start below it.
  let s = zone.segmentAt(wall - MAX_ABS_OFFSET - HOUR);
  for (;;) {
    if (wall - s.offset < s.end) return Math.max(s.start, wall - s.offset);
    s = zone.segmentAt(s.end);
  }
}
