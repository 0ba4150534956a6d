/**
 * Which slots a user may run by hand (pure): `job run --slot T` and
 * `job backfill --from A --to B` (Chronos' and Temporal's backfill). A slot
 * is an instant of the job's schedule that has come; slots still to come
 * run on their own.
 *
 *   checkSlot(job, T, now)          T itself, or 400 (no schedule) / 422 (not a slot, still to come)
 *   backfillSlots(job, A, B, now)   the slots in [A, B], or 400 / 422 (order, still to come, over 1000)
 */
import { ApiError } from './errors.js';
import { isoInstant } from './instant.js';
import { describeSchedule, nextSlots, slotsBetween, type SlotSource } from './slots.js';
import type { Job } from './types.js';

/** The most slots one backfill runs. */
export const MAX_BACKFILL_SLOTS = 1000;

/** The job's schedule as slots.ts reads it; undefined when it has none. */
export function slotSourceOf(job: Job): SlotSource | undefined {
  const s = job.spec.schedule;
  if (s === undefined || (Array.isArray(s) && s.length === 0)) return undefined;
  const created = job.metadata.creationTimestamp ? new Date(job.metadata.creationTimestamp) : undefined;
  return {
    schedule: s,
    ...(job.spec.timeZone ? { timeZone: job.spec.timeZone } : {}),
    ...(job.spec.dstPolicy ? { dstPolicy: job.spec.dstPolicy } : {}),
    ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created } : {}),
  };
}

function scheduleOf(job: Job, field: string, what: string): SlotSource {
  const src = slotSourceOf(job);
  if (src) return src;
  const message = `job "${job.metadata.name}" has no schedule, so it has no slots ${what}`;
  throw new ApiError('BadRequest', message, [{ field, rule: 'schedule', message: 'the job has no schedule' }]);
}

const stillToCome = (field: string, label: string, t: Date, now: Date, then: string): ApiError => {
  const message = `${label} ${isoInstant(t)} is still to come (it is ${isoInstant(now)} now): ${then}`;
  return new ApiError('Invalid', message, [{ field, rule: 'past', message: `${isoInstant(t)} is still to come` }]);
};

/** `slot` T of `job run`: a slot of the job's schedule that has come. */
export function checkSlot(job: Job, t: Date, now: Date): Date {
  const src = scheduleOf(job, 'slot', 'to run: run it without a slot');
  if (slotsBetween(src, new Date(t.getTime() - 1), t, 1).length === 0) {
    const next = nextSlots(src, t, 1)[0];
    const message = `slot ${isoInstant(t)} is not a slot of job "${job.metadata.name}" (${describeSchedule(src)})${next ? `; the next slot after it is ${isoInstant(next)}` : ''}`;
    throw new ApiError('Invalid', message, [{ field: 'slot', rule: 'slot', message: `${isoInstant(t)} is not a slot of the schedule` }]);
  }
  if (t.getTime() > now.getTime()) throw stillToCome('slot', 'slot', t, now, 'it runs on its own at its time');
  return t;
}

/** The slots of `job` in [from, to], oldest first. */
export function backfillSlots(job: Job, from: Date, to: Date, now: Date): Date[] {
  const src = scheduleOf(job, 'from', 'to backfill');
  if (from.getTime() > to.getTime()) {
    const message = `from ${isoInstant(from)} is after to ${isoInstant(to)}: the range runs from the older instant to the newer`;
    throw new ApiError('Invalid', message, [{ field: 'from', rule: 'order', message: 'not after to' }]);
  }
  if (to.getTime() > now.getTime()) throw stillToCome('to', 'to', to, now, 'slots after now run on their own');
  const slots = slotsBetween(src, new Date(from.getTime() - 1), to, MAX_BACKFILL_SLOTS + 1);
  if (slots.length > MAX_BACKFILL_SLOTS) {
    const message = `the range from ${isoInstant(from)} to ${isoInstant(to)} holds more than ${MAX_BACKFILL_SLOTS} slots of job "${job.metadata.name}": backfill at most ${MAX_BACKFILL_SLOTS} at a time`;
    throw new ApiError('Invalid', message, [{ field: 'to', rule: 'maxSlots', message: `the range holds more than ${MAX_BACKFILL_SLOTS} slots` }]);
  }
  return slots;
}
