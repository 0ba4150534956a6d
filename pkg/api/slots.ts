/**
 * When a Job fires (pure): the instants of its schedule in its time zone,
 * under its daylight-saving policy.
 *
 *   slotsBetween(src, after, until, limit)   the slots in (after, until], oldest first
 *   nextSlots(src, after, n)                  the next n slots after `after`
 *   describeSchedule(src)                     the schedule in words
 *
 * A list of cron expressions fires at each (a slot shared by two fires once).
 * An ISO 8601 repeating interval R[n]/start/period fires at start, start +
 * period, ... (n times; empty start = the job's creation).
 */
import { Cron } from 'croner';
import { CRON_MODE, addDuration, parseSchedule, type Schedule } from './schedule.js';
import type { DstPolicy } from './types.js';

export interface SlotSource {
  schedule: string | readonly string[];
  timeZone?: string;
  dstPolicy?: DstPolicy;
  /** When the job was created: the start of an interval with an empty start. */
  createdAt?: Date;
}

const schedulesOf = (src: SlotSource): Schedule[] =>
  (Array.isArray(src.schedule) ? src.schedule : [src.schedule as string]).map((s) => parseSchedule(s, src.timeZone ?? 'UTC'));

/** The slots in (after, until], oldest first, at most `limit`. */
export function slotsBetween(src: SlotSource, after: Date, until: Date, limit: number): Date[] {
  const out = new Map<number, Date>();
  for (const s of schedulesOf(src)) {
    for (const d of s.kind === 'cron' ? cronSlots(s.expr, src, after, until, limit) : intervalSlots(s, src, after, until, limit)) out.set(d.getTime(), d);
  }
  return [...out.values()].sort((a, b) => a.getTime() - b.getTime()).slice(0, limit);
}

/** The next n slots after `after`. */
export function nextSlots(src: SlotSource, after: Date, n: number): Date[] {
  return slotsBetween(src, after, new Date(8.64e15), n);
}

function cronSlots(expr: string, src: SlotSource, after: Date, until: Date, limit: number): Date[] {
  const cron = new Cron(expr, { mode: CRON_MODE, paused: true, timezone: src.timeZone ?? 'UTC' });
  const out: Date[] = [];
  let from = after;
  while (out.length < limit) {
    const next = cron.nextRun(from);
    if (!next || next.getTime() > until.getTime()) break;
    out.push(next);
    from = next;
  }
  cron.stop();
  return out;
}

function intervalSlots(s: Extract<Schedule, { kind: 'interval' }>, src: SlotSource, after: Date, until: Date, limit: number): Date[] {
  const start = s.start ?? src.createdAt ?? after;
  const out: Date[] = [];
  for (let i = 0; out.length < limit && (s.repeat === undefined || i < s.repeat); i++) {
    const t = addDuration(start, s.period, i);
    if (t.getTime() > until.getTime()) break;
    if (t.getTime() > after.getTime()) out.push(t);
  }
  return out;
}

/** The schedule in words. */
export function describeSchedule(src: SlotSource): string {
  const list = Array.isArray(src.schedule) ? src.schedule : [src.schedule as string];
  return `${list.join(' and ')} (${src.timeZone ?? 'UTC'})`;
}
