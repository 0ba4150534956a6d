import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { MAX_BACKFILL_SLOTS, backfillSlots, checkSlot } from './job-requests.js';
import type { Job } from './types.js';

const job = (spec: Partial<Job['spec']>): Job => ({
  apiVersion: 'stowage/v1', kind: 'Job',
  metadata: { name: 'report', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { image: 'x:1', resources: { cpus: 0.1, mem: 16, disk: 0 }, retries: 0, concurrencyPolicy: 'Allow', ...spec },
});
const every2s = job({ schedule: '*/2 * * * * *' });
const NOW = new Date('2026-01-01T12:00:00Z');
const T = (s: string) => new Date(s);

/** The ApiError f throws: its status, field, rule and message. */
function refusal(f: () => unknown): { status: number; field?: string; rule?: string; message: string } {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return { status: e.status, field: e.details[0]?.field, rule: e.details[0]?.rule, message: e.message };
  }
  return assert.fail('not refused');
}

describe('checkSlot', () => {
  it('a slot of the schedule that has come is taken', () => {
    assert.deepEqual(checkSlot(every2s, T('2026-01-01T11:00:00Z'), NOW), T('2026-01-01T11:00:00Z'));
    assert.deepEqual(checkSlot(job({ schedule: ['0 9 * * *', '30 11 * * *'] }), T('2026-01-01T11:30:00Z'), NOW), T('2026-01-01T11:30:00Z'));
    assert.deepEqual(checkSlot(job({ schedule: 'R/2026-01-01T00:00:00Z/PT1H' }), T('2026-01-01T03:00:00Z'), NOW), T('2026-01-01T03:00:00Z'));
  });
  it('an instant between slots: 422 naming slot and the next slot', () => {
    assert.deepEqual(refusal(() => checkSlot(every2s, T('2026-01-01T11:00:01Z'), NOW)), {
      status: 422, field: 'slot', rule: 'slot',
      message: 'slot 2026-01-01T11:00:01Z is not a slot of job "report" (every 2 seconds); the next slot after it is 2026-01-01T11:00:02Z',
    });
    assert.equal(refusal(() => checkSlot(every2s, T('2026-01-01T11:00:00.500Z'), NOW)).rule, 'slot');
  });
  it('a slot still to come: 422', () => {
    assert.deepEqual(refusal(() => checkSlot(every2s, T('2026-01-01T12:00:02Z'), NOW)), {
      status: 422, field: 'slot', rule: 'past',
      message: 'slot 2026-01-01T12:00:02Z is still to come (it is 2026-01-01T12:00:00Z now): it runs on its own at its time',
    });
  });
  it('a job without a schedule: 400', () => {
    assert.deepEqual(refusal(() => checkSlot(job({ parents: ['extract'] }), NOW, NOW)), {
      status: 400, field: 'slot', rule: 'schedule', message: 'job "report" has no schedule, so it has no slots to run: run it without a slot',
    });
  });
});

describe('backfillSlots', () => {
  it('the slots in [from, to], both ends included', () => {
    const s = backfillSlots(every2s, T('2026-01-01T11:00:00Z'), T('2026-01-01T11:00:06Z'), NOW);
    assert.deepEqual(s.map((d) => d.toISOString().slice(11, 19)), ['11:00:00', '11:00:02', '11:00:04', '11:00:06']);
    assert.deepEqual(backfillSlots(every2s, T('2026-01-01T11:00:01Z'), T('2026-01-01T11:00:01Z'), NOW), []);
  });
  it('exactly the limit is taken; one more is a 422 naming the range', () => {
    const from = T('2026-01-01T10:00:00Z');
    const last = new Date(from.getTime() + 2000 * (MAX_BACKFILL_SLOTS - 1));
    assert.equal(backfillSlots(every2s, from, last, NOW).length, MAX_BACKFILL_SLOTS);
    assert.deepEqual(refusal(() => backfillSlots(every2s, from, new Date(last.getTime() + 2000), NOW)), {
      status: 422, field: 'to', rule: 'maxSlots',
      message: 'the range from 2026-01-01T10:00:00Z to 2026-01-01T10:33:20Z holds more than 1000 slots of job "report": backfill at most 1000 at a time',
    });
  });
  it('from after to, to still to come, no schedule', () => {
    assert.deepEqual(refusal(() => backfillSlots(every2s, T('2026-01-01T11:00:02Z'), T('2026-01-01T11:00:00Z'), NOW)), {
      status: 422, field: 'from', rule: 'order',
      message: 'from 2026-01-01T11:00:02Z is after to 2026-01-01T11:00:00Z: the range runs from the older instant to the newer',
    });
    assert.equal(refusal(() => backfillSlots(every2s, T('2026-01-01T11:00:00Z'), T('2026-01-01T13:00:00Z'), NOW)).message,
      'to 2026-01-01T13:00:00Z is still to come (it is 2026-01-01T12:00:00Z now): slots after now run on their own');
    assert.deepEqual(refusal(() => backfillSlots(job({}), NOW, NOW, NOW)), {
      status: 400, field: 'from', rule: 'schedule', message: 'job "report" has no schedule, so it has no slots to backfill',
    });
  });
});
