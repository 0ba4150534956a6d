/**
 * A Job's schedule in plain words (pure), for `stowctl describe job` and the UI:
 *
 *   "*\/2 * * * * *"                    every 2 seconds
 *   "*\/5 * * * *"                      every 5 minutes
 *   "@hourly"                          at minute 0 of every hour
 *   "30 2 * * *"                       at 02:30 every day
 *   "0 9 * * MON-FRI"                  every Monday to Friday at 09:00
 *   "0 0 1 * *"                        at 00:00 on day 1 of every month
 *   "0 0 29 2 *"                       at 00:00 on February 29 every year
 *   "R5/2026-12-01T00:00:00Z/PT10M"    every 10 minutes from 2026-12-01T00:00:00Z, 5 times
 *
 * A cron schedule outside a time zone that is UTC ends in "(<zone>)". The
 * common shapes are recognised field by field; anything else is shown as
 * `cron "<expr>"`. A list is its parts joined with "; ".
 */
// parseRepeatingInterval, not parseSchedule: the web UI bundles this file, and a cron parser (croner) is not needed to put one in words
import { parseRepeatingInterval, type Duration } from './schedule.js';
import type { SlotSource } from './slots.js';
import { isUtc } from './zone-offsets.js';

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_ABBR = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONTH_ABBR = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** More times of day than this read worse than the expression. */
const MAX_TIMES = 4;

const isAny = (f: string): boolean => f === '*' || f === '?';
const stepOf = (f: string): number | undefined => {
  const m = /^[*?]\/(\d+)$/.exec(f);
  return m ? Number(m[1]) : undefined;
};
const numbers = (f: string): number[] | undefined => (/^\d+(,\d+)*$/.test(f) ? f.split(',').map(Number) : undefined);
const pad = (n: number): string => String(n).padStart(2, '0');
const plural = (n: number, unit: string): string => (n === 1 ? unit : `${n} ${unit}s`);

/** "a", "a and b", "a, b and c" */
function joinWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** A day-of-week or month value: a number or a name. */
function nameIndex(v: string, abbr: string[], base: number): number | undefined {
  const i = abbr.indexOf(v.toLowerCase());
  if (i >= 0) return i;
  return /^\d+$/.test(v) ? Number(v) - base : undefined;
}

/** "Monday", "Monday and Friday", "Monday to Friday" (no steps, #, L). */
function daysOfWeek(f: string): string | undefined {
  const parts: string[] = [];
  for (const item of f.split(',')) {
    const [a, b, extra] = item.split('-');
    const i = a === undefined ? undefined : nameIndex(a, DAY_ABBR, 0);
    const j = b === undefined ? i : nameIndex(b, DAY_ABBR, 0);
    if (extra !== undefined || i === undefined || j === undefined || i > 7 || j > 7 || i > j) return undefined;
    const name = (d: number): string => DAY_NAMES[d % 7]!;
    parts.push(i === j ? name(i) : `${name(i)} to ${name(j)}`);
  }
  return joinWords(parts);
}

function month(f: string): string | undefined {
  const i = nameIndex(f, MONTH_ABBR, 1);
  return i !== undefined && i >= 0 && i < 12 ? MONTH_NAMES[i] : undefined;
}

/** "02:30", "02:30 and 14:30" for lists of hours and minutes, at one second. */
function timesOfDay(sec: number, min: string, hour: string): string | undefined {
  const ms = numbers(min);
  const hs = numbers(hour);
  if (!ms || !hs || ms.length * hs.length > MAX_TIMES) return undefined;
  const times = hs
    .flatMap((h) => ms.map((m) => [h, m] as const))
    .sort((x, y) => x[0] - y[0] || x[1] - y[1])
    .map(([h, m]) => `${pad(h)}:${pad(m)}${sec ? `:${pad(sec)}` : ''}`);
  return joinWords(times);
}

function describeCron(expr: string): string | undefined {
  const raw = (NICKNAMES[expr.trim()] ?? expr).trim().split(/\s+/);
  const f = raw.length === 5 ? ['0', ...raw] : raw;
  if (f.length !== 6) return undefined;
  const [sec, min, hour, dom, mon, dow] = f as [string, string, string, string, string, string];
  const secs = numbers(sec);
  const s = secs?.length === 1 ? secs[0]! : undefined;
  const everyDay = isAny(dom) && isAny(mon) && isAny(dow);

  // Sub-daily, every day.
  if (everyDay && isAny(hour)) {
    if (isAny(min)) {
      if (isAny(sec)) return 'every second';
      const n = stepOf(sec);
      if (n !== undefined) return n === 1 ? 'every second' : `every ${n} seconds`;
      if (s !== undefined) return s === 0 ? 'every minute' : `every minute at second ${s}`;
      return undefined;
    }
    if (s !== 0) return undefined;
    const n = stepOf(min);
    if (n !== undefined) return n === 1 ? 'every minute' : `every ${n} minutes`;
    const m = numbers(min);
    if (m?.length === 1) return `at minute ${m[0]} of every hour`;
    return undefined;
  }
  if (everyDay && s === 0 && stepOf(hour) !== undefined) {
    const m = numbers(min);
    if (m?.length === 1) return `at minute ${m[0]} of every ${plural(stepOf(hour)!, 'hour')}`;
    return undefined;
  }

  // At times of day.
  if (s === undefined) return undefined;
  const at = timesOfDay(s, min, hour);
  if (at === undefined) return undefined;
  if (everyDay) return `at ${at} every day`;
  if (isAny(dom) && isAny(mon)) {
    const days = daysOfWeek(dow);
    return days === undefined ? undefined : `every ${days} at ${at}`;
  }
  if (!isAny(dow)) return undefined;
  if (isAny(mon)) {
    if (dom.toUpperCase() === 'L') return `at ${at} on the last day of every month`;
    const d = numbers(dom);
    return d ? `at ${at} on ${d.length === 1 ? 'day' : 'days'} ${joinWords(d.map(String))} of every month` : undefined;
  }
  const d = numbers(dom);
  const m = month(mon);
  return d?.length === 1 && m ? `at ${at} on ${m} ${d[0]} every year` : undefined;
}

const UNITS: [keyof Duration, string][] = [
  ['years', 'year'],
  ['months', 'month'],
  ['weeks', 'week'],
  ['days', 'day'],
  ['hours', 'hour'],
  ['minutes', 'minute'],
  ['seconds', 'second'],
];

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.000Z$/, 'Z');

function describeInterval(s: string, createdAt?: Date): string {
  const p = parseRepeatingInterval(s);
  const parts = UNITS.filter(([k]) => p.period[k] !== 0);
  const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const every =
    parts.length === 1
      ? `every ${plural(p.period[parts[0]![0]], parts[0]![1])}`
      : `every ${joinWords(parts.map(([k, unit]) => count(p.period[k], unit)))}`;
  const start = p.start ?? createdAt;
  const from = start ? `from ${isoSeconds(start)}` : "from the job's creation";
  const times = p.repeat === undefined ? '' : p.repeat === 1 ? ', once' : `, ${p.repeat} times`;
  return `${every} ${from}${times}`;
}

/** The schedule in words, with its time zone when that is not UTC. */
export function describeSchedule(src: SlotSource): string {
  const list = typeof src.schedule === 'string' ? [src.schedule] : [...src.schedule];
  let cron = false;
  const words = list.map((s) => {
    if (/^R[^/\s]*\//.test(s)) return describeInterval(s, src.createdAt);
    cron = true;
    return describeCron(s) ?? `cron "${s}"`;
  });
  const tz = src.timeZone ?? 'UTC';
  return `${words.join('; ')}${cron && !isUtc(tz) ? ` (${tz})` : ''}`;
}
