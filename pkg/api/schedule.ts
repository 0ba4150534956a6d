/**
 * Job schedules, syntax only (the job timers loop computes instants):
 *
 *   cron      5 fields (minute first) or 6 (second first), or @hourly/@daily/...;
 *             parsed by croner in mode "5-or-6-parts"
 *   interval  ISO 8601 repeating interval, as Chronos writes it:
 *             R[n]/<start>/<period>, e.g. R/2026-12-01T00:00:00Z/PT2S
 *             n absent = forever; start empty = now; start needs a zone (Z or +hh:mm)
 */
import { Cron } from 'croner';

export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

export type Schedule =
  | { kind: 'cron'; expr: string }
  | { kind: 'interval'; repeat?: number; start?: Date; period: Duration };

/** Croner options every user of a cron schedule must pass, so all agree on the syntax. */
export const CRON_MODE = '5-or-6-parts' as const;
/** Shorter periods would flood the cluster with JobRuns. */
export const MIN_PERIOD_SECONDS = 1;

/** undefined when tz is an IANA time zone this runtime knows, else the message. */
export function timeZoneError(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone "${tz}" (use an IANA name such as "UTC" or "Europe/Berlin")`;
  }
}

const DURATION_RE =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Parse an ISO 8601 duration (PnYnMnWnDTnHnMnS); throws Error with the reason. */
export function parseDuration(s: string): Duration {
  const m = DURATION_RE.exec(s);
  if (!m || s === 'P' || s.endsWith('T'))
    throw new Error(`period "${s}" is not an ISO 8601 duration such as PT30S, PT1H or P1D`);
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]!.replace(',', '.')));
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/** A duration's length in seconds, taking a month as 30 days and a year as 365 (for bounds only). */
export function approxSeconds(d: Duration): number {
  return (
    d.seconds + 60 * (d.minutes + 60 * (d.hours + 24 * (d.days + 7 * d.weeks + 30 * d.months + 365 * d.years)))
  );
}

const START_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

function parseStart(s: string): Date {
  const m = START_RE.exec(s);
  const bad = new Error(
    `start "${s}" is not an ISO 8601 date-time with a zone, such as 2026-12-01T00:00:00Z`,
  );
  if (!m) throw bad;
  const [, y, mo, d, h, mi, sec = '0'] = m;
  const probe = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +sec));
  // Date.UTC rolls Feb 30 over to March: compare the fields back.
  if (
    probe.getUTCFullYear() !== +y! ||
    probe.getUTCMonth() !== +mo! - 1 ||
    probe.getUTCDate() !== +d! ||
    +h! > 23 ||
    +mi! > 59 ||
    +sec > 59
  )
    throw bad;
  const zone = m[8] === 'Z' ? 'Z' : m[8]!.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const frac = m[7] ? `.${m[7].slice(0, 3).padEnd(3, '0')}` : '';
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec.padStart(2, '0')}${frac}${zone}`);
}

/** Parse `R[n]/start/period`; throws Error with the reason. */
export function parseRepeatingInterval(s: string): Extract<Schedule, { kind: 'interval' }> {
  const parts = s.split('/');
  if (parts.length !== 3) throw new Error(`"${s}" is not R[n]/<start>/<period>, e.g. R/2026-12-01T00:00:00Z/PT2S`);
  const [r, start, period] = parts as [string, string, string];
  const rm = /^R(\d*)$/.exec(r);
  if (!rm) throw new Error(`repetitions "${r}" must be R (forever) or Rn with n a whole number`);
  const out: Extract<Schedule, { kind: 'interval' }> = { kind: 'interval', period: parseDuration(period) };
  if (rm[1] !== '') out.repeat = Number(rm[1]);
  if (start !== '') out.start = parseStart(start);
  if (approxSeconds(out.period) < MIN_PERIOD_SECONDS)
    throw new Error(`period "${period}" must be at least ${MIN_PERIOD_SECONDS} second`);
  return out;
}

/**
 * Parse a Job schedule: an ISO 8601 repeating interval when it starts with
 * "R", else cron (read in timeZone). Throws Error with a message for users.
 */
export function parseSchedule(s: string, timeZone = 'UTC'): Schedule {
  if (/^R[^/\s]*\//.test(s)) {
    try {
      return parseRepeatingInterval(s);
    } catch (e) {
      throw new Error(`invalid ISO 8601 repeating interval "${s}": ${(e as Error).message}`);
    }
  }
  // croner also takes an ISO date ("run once at"): insist on fields or a nickname.
  const fields = s.trim().split(/\s+/).length;
  if (!/^@[a-z]+$/.test(s.trim()) && fields !== 5 && fields !== 6)
    throw new Error(
      `invalid cron expression "${s}": expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; got ${fields}`,
    );
  let cron: Cron;
  try {
    cron = new Cron(s, { mode: CRON_MODE, paused: true, timezone: timeZoneError(timeZone) ? 'UTC' : timeZone });
  } catch (e) {
    const why = (e as Error).message.replace(/^Cron\w*:\s*/, '');
    throw new Error(`invalid cron expression "${s}": ${why}`);
  }
  const next = cron.nextRun();
  cron.stop();
  if (!next) throw new Error(`cron expression "${s}" never fires`);
  return { kind: 'cron', expr: s };
}

/** undefined when the schedule parses, else the message. */
export function scheduleError(s: string, timeZone = 'UTC'): string | undefined {
  try {
    parseSchedule(s, timeZone);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
