import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cron } from 'croner';
import { describeSchedule, nextSlots, slotsBetween, type SlotSource } from './slots.js';
import type { DstPolicy } from './types.js';

// 2027 clock changes (UTC):
//   Europe/Warsaw     2027-03-28T01:00Z 02:00 CET -> 03:00 CEST   2027-10-31T01:00Z 03:00 CEST -> 02:00 CET
//   America/New_York  2027-03-14T07:00Z 02:00 EST -> 03:00 EDT    2027-11-07T06:00Z 02:00 EDT -> 01:00 EST
const WAW = 'Europe/Warsaw';
const NYC = 'America/New_York';

const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString().replace('.000Z', 'Z'));
const slots = (
  schedule: string | string[],
  timeZone: string,
  dstPolicy: DstPolicy,
  after: string,
  until: string,
  limit = 100,
): string[] => iso(slotsBetween({ schedule, timeZone, dstPolicy }, new Date(after), new Date(until), limit));

const NEXT_ONCE: DstPolicy = { gap: 'next', overlap: 'once' };
const SKIP_ONCE: DstPolicy = { gap: 'skip', overlap: 'once' };
const NEXT_TWICE: DstPolicy = { gap: 'next', overlap: 'twice' };
const SKIP_TWICE: DstPolicy = { gap: 'skip', overlap: 'twice' };

test('the zones change clocks on the 2027 dates the cases below assume', () => {
  const offset = (tz: string, t: string): string =>
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).format(new Date(t)).split(' ').at(-1)!;
  assert.deepEqual(
    ['2027-03-28T00:59:59Z', '2027-03-28T01:00:00Z', '2027-10-31T00:59:59Z', '2027-10-31T01:00:00Z'].map((t) => offset(WAW, t)),
    ['GMT+01:00', 'GMT+02:00', 'GMT+02:00', 'GMT+01:00'],
  );
  assert.deepEqual(
    ['2027-03-14T06:59:59Z', '2027-03-14T07:00:00Z', '2027-11-07T05:59:59Z', '2027-11-07T06:00:00Z'].map((t) => offset(NYC, t)),
    ['GMT-05:00', 'GMT-04:00', 'GMT-04:00', 'GMT-05:00'],
  );
});

// ---- spring gap ----

test('daily 02:30 across the spring gap: next runs at 03:00, the first valid instant; skip does not run that day', () => {
  const waw = ['2027-03-27T00:00:00Z', '2027-03-29T12:00:00Z'] as const;
  assert.deepEqual(slots('30 2 * * *', WAW, NEXT_ONCE, ...waw), ['2027-03-27T01:30:00Z', '2027-03-28T01:00:00Z', '2027-03-29T00:30:00Z']);
  assert.deepEqual(slots('30 2 * * *', WAW, SKIP_ONCE, ...waw), ['2027-03-27T01:30:00Z', '2027-03-29T00:30:00Z']);
  const nyc = ['2027-03-13T00:00:00Z', '2027-03-15T12:00:00Z'] as const;
  assert.deepEqual(slots('30 2 * * *', NYC, NEXT_TWICE, ...nyc), ['2027-03-13T07:30:00Z', '2027-03-14T07:00:00Z', '2027-03-15T06:30:00Z']);
  assert.deepEqual(slots('30 2 * * *', NYC, SKIP_TWICE, ...nyc), ['2027-03-13T07:30:00Z', '2027-03-15T06:30:00Z']);
});

test('gap: next holds for every shape of expression, lists and steps too (one run at the gap end for all its slots)', () => {
  const w = ['2027-03-28T00:00:00Z', '2027-03-28T02:00:00Z'] as const;
  // 02:15 and 02:45 do not exist: one run at 03:00 CEST.
  assert.deepEqual(slots('15,45 * * * *', WAW, NEXT_ONCE, ...w), [
    '2027-03-28T00:15:00Z',
    '2027-03-28T00:45:00Z',
    '2027-03-28T01:00:00Z',
    '2027-03-28T01:15:00Z',
    '2027-03-28T01:45:00Z',
  ]);
  assert.deepEqual(slots('15,45 * * * *', WAW, SKIP_ONCE, ...w), [
    '2027-03-28T00:15:00Z',
    '2027-03-28T00:45:00Z',
    '2027-03-28T01:15:00Z',
    '2027-03-28T01:45:00Z',
  ]);
  const n = ['2027-03-13T12:00:00Z', '2027-03-14T20:00:00Z'] as const;
  assert.deepEqual(slots('30 2,14 * * *', NYC, NEXT_TWICE, ...n), ['2027-03-13T19:30:00Z', '2027-03-14T07:00:00Z', '2027-03-14T18:30:00Z']);
  assert.deepEqual(slots('30 2,14 * * *', NYC, SKIP_TWICE, ...n), ['2027-03-13T19:30:00Z', '2027-03-14T18:30:00Z']);
});

// ---- autumn overlap ----

test('daily 02:30 (Warsaw) and 01:30 (New York) across the autumn overlap: once runs once, twice at both instants an hour apart', () => {
  const waw = ['2027-10-30T00:00:00Z', '2027-11-01T12:00:00Z'] as const;
  assert.deepEqual(slots('30 2 * * *', WAW, NEXT_ONCE, ...waw), ['2027-10-30T00:30:00Z', '2027-10-31T00:30:00Z', '2027-11-01T01:30:00Z']);
  assert.deepEqual(slots('30 2 * * *', WAW, NEXT_TWICE, ...waw), [
    '2027-10-30T00:30:00Z',
    '2027-10-31T00:30:00Z',
    '2027-10-31T01:30:00Z',
    '2027-11-01T01:30:00Z',
  ]);
  const nyc = ['2027-11-06T00:00:00Z', '2027-11-08T12:00:00Z'] as const;
  assert.deepEqual(slots('30 1 * * *', NYC, SKIP_ONCE, ...nyc), ['2027-11-06T05:30:00Z', '2027-11-07T05:30:00Z', '2027-11-08T06:30:00Z']);
  assert.deepEqual(slots('30 1 * * *', NYC, SKIP_TWICE, ...nyc), [
    '2027-11-06T05:30:00Z',
    '2027-11-07T05:30:00Z',
    '2027-11-07T06:30:00Z',
    '2027-11-08T06:30:00Z',
  ]);
});

test('overlap, asked as the loop asks (after the slot just handled): twice still owes the second instant, once does not', () => {
  const first = '2027-10-31T00:30:00Z';
  assert.deepEqual(slots('30 2 * * *', WAW, NEXT_TWICE, first, '2027-11-02T00:00:00Z', 1), ['2027-10-31T01:30:00Z']);
  assert.deepEqual(slots('30 2 * * *', WAW, NEXT_ONCE, first, '2027-11-02T00:00:00Z', 1), ['2027-11-01T01:30:00Z']);
  // Asked from inside the repeated hour (second pass).
  assert.deepEqual(iso(nextSlots({ schedule: '30 2 * * *', timeZone: WAW, dstPolicy: NEXT_TWICE }, new Date('2027-10-31T01:10:00Z'), 2)), [
    '2027-10-31T01:30:00Z',
    '2027-11-01T01:30:00Z',
  ]);
  assert.deepEqual(iso(nextSlots({ schedule: '30 2 * * *', timeZone: WAW, dstPolicy: NEXT_ONCE }, new Date('2027-10-31T01:10:00Z'), 1)), [
    '2027-11-01T01:30:00Z',
  ]);
});

// ---- hourly and every 30 minutes, both transitions, both zones ----

test('hourly across both transitions: the missing 02:00 is the 03:00 run; the repeated hour runs once or twice', () => {
  for (const gap of [NEXT_ONCE, SKIP_ONCE]) {
    assert.deepEqual(slots('0 * * * *', WAW, gap, '2027-03-27T23:30:00Z', '2027-03-28T03:30:00Z'), [
      '2027-03-28T00:00:00Z',
      '2027-03-28T01:00:00Z',
      '2027-03-28T02:00:00Z',
      '2027-03-28T03:00:00Z',
    ]);
    assert.deepEqual(slots('0 * * * *', NYC, gap, '2027-03-14T05:30:00Z', '2027-03-14T09:30:00Z'), [
      '2027-03-14T06:00:00Z',
      '2027-03-14T07:00:00Z',
      '2027-03-14T08:00:00Z',
      '2027-03-14T09:00:00Z',
    ]);
  }
  const waw = ['2027-10-30T22:30:00Z', '2027-10-31T03:30:00Z'] as const;
  assert.deepEqual(slots('0 * * * *', WAW, NEXT_ONCE, ...waw), [
    '2027-10-30T23:00:00Z',
    '2027-10-31T00:00:00Z',
    '2027-10-31T02:00:00Z',
    '2027-10-31T03:00:00Z',
  ]);
  assert.deepEqual(slots('0 * * * *', WAW, NEXT_TWICE, ...waw), [
    '2027-10-30T23:00:00Z',
    '2027-10-31T00:00:00Z',
    '2027-10-31T01:00:00Z',
    '2027-10-31T02:00:00Z',
    '2027-10-31T03:00:00Z',
  ]);
  const nyc = ['2027-11-07T03:30:00Z', '2027-11-07T08:30:00Z'] as const;
  assert.deepEqual(slots('0 * * * *', NYC, SKIP_ONCE, ...nyc), [
    '2027-11-07T04:00:00Z',
    '2027-11-07T05:00:00Z',
    '2027-11-07T07:00:00Z',
    '2027-11-07T08:00:00Z',
  ]);
  assert.deepEqual(slots('0 * * * *', NYC, SKIP_TWICE, ...nyc), [
    '2027-11-07T04:00:00Z',
    '2027-11-07T05:00:00Z',
    '2027-11-07T06:00:00Z',
    '2027-11-07T07:00:00Z',
    '2027-11-07T08:00:00Z',
  ]);
});

test('*/30 across both transitions: once is each wall-clock time once, twice every 30 minutes of the instant clock', () => {
  for (const gap of [NEXT_TWICE, SKIP_TWICE]) {
    assert.deepEqual(slots('*/30 * * * *', WAW, gap, '2027-03-28T00:00:00Z', '2027-03-28T02:00:00Z'), [
      '2027-03-28T00:30:00Z',
      '2027-03-28T01:00:00Z',
      '2027-03-28T01:30:00Z',
      '2027-03-28T02:00:00Z',
    ]);
    assert.deepEqual(slots('*/30 * * * *', NYC, gap, '2027-03-14T06:00:00Z', '2027-03-14T08:00:00Z'), [
      '2027-03-14T06:30:00Z',
      '2027-03-14T07:00:00Z',
      '2027-03-14T07:30:00Z',
      '2027-03-14T08:00:00Z',
    ]);
  }
  const waw = ['2027-10-30T23:45:00Z', '2027-10-31T02:30:00Z'] as const;
  assert.deepEqual(slots('*/30 * * * *', WAW, NEXT_ONCE, ...waw), [
    '2027-10-31T00:00:00Z',
    '2027-10-31T00:30:00Z',
    '2027-10-31T02:00:00Z',
    '2027-10-31T02:30:00Z',
  ]);
  assert.deepEqual(slots('*/30 * * * *', WAW, NEXT_TWICE, ...waw), [
    '2027-10-31T00:00:00Z',
    '2027-10-31T00:30:00Z',
    '2027-10-31T01:00:00Z',
    '2027-10-31T01:30:00Z',
    '2027-10-31T02:00:00Z',
    '2027-10-31T02:30:00Z',
  ]);
  const nyc = ['2027-11-07T04:45:00Z', '2027-11-07T07:30:00Z'] as const;
  assert.deepEqual(slots('*/30 * * * *', NYC, SKIP_ONCE, ...nyc), [
    '2027-11-07T05:00:00Z',
    '2027-11-07T05:30:00Z',
    '2027-11-07T07:00:00Z',
    '2027-11-07T07:30:00Z',
  ]);
  assert.deepEqual(slots('*/30 * * * *', NYC, SKIP_TWICE, ...nyc), [
    '2027-11-07T05:00:00Z',
    '2027-11-07T05:30:00Z',
    '2027-11-07T06:00:00Z',
    '2027-11-07T06:30:00Z',
    '2027-11-07T07:00:00Z',
    '2027-11-07T07:30:00Z',
  ]);
});

// ---- seconds ----

test('6-field seconds jobs in the gap and the overlap', () => {
  // 01:59:00/20/40 New York happen twice on 2027-11-07.
  const fall = ['2027-11-07T05:00:00Z', '2027-11-07T07:00:00Z'] as const;
  assert.deepEqual(slots('*/20 59 1 * * *', NYC, NEXT_ONCE, ...fall), ['2027-11-07T05:59:00Z', '2027-11-07T05:59:20Z', '2027-11-07T05:59:40Z']);
  assert.deepEqual(slots('*/20 59 1 * * *', NYC, NEXT_TWICE, ...fall), [
    '2027-11-07T05:59:00Z',
    '2027-11-07T05:59:20Z',
    '2027-11-07T05:59:40Z',
    '2027-11-07T06:59:00Z',
    '2027-11-07T06:59:20Z',
    '2027-11-07T06:59:40Z',
  ]);
  // 02:30:00/20/40 New York never happen on 2027-03-14: one run at 03:00:00, or none.
  const spring = ['2027-03-14T06:00:00Z', '2027-03-14T08:00:00Z'] as const;
  assert.deepEqual(slots('*/20 30 2 * * *', NYC, NEXT_ONCE, ...spring), ['2027-03-14T07:00:00Z']);
  assert.deepEqual(slots('*/20 30 2 * * *', NYC, SKIP_ONCE, ...spring), []);
});

test('an every-second job: once waits out the repeated hour, twice keeps the instant clock', () => {
  const edge = ['2027-10-31T00:59:58Z', '2027-10-31T01:00:02Z'] as const;
  assert.deepEqual(slots('* * * * * *', WAW, NEXT_ONCE, ...edge), ['2027-10-31T00:59:59Z']);
  assert.deepEqual(slots('* * * * * *', WAW, NEXT_TWICE, ...edge), [
    '2027-10-31T00:59:59Z',
    '2027-10-31T01:00:00Z',
    '2027-10-31T01:00:01Z',
    '2027-10-31T01:00:02Z',
  ]);
  // The loop, every second of the repeated hour, from the last slot handled: nothing due, then 03:00:00 CET.
  assert.deepEqual(slots('* * * * * *', WAW, NEXT_ONCE, '2027-10-31T00:59:59Z', '2027-10-31T01:30:00Z', 1), []);
  assert.deepEqual(slots('* * * * * *', WAW, NEXT_ONCE, '2027-10-31T00:59:59Z', '2027-10-31T02:00:01Z', 5), [
    '2027-10-31T02:00:00Z',
    '2027-10-31T02:00:01Z',
  ]);
  for (const p of [NEXT_ONCE, SKIP_ONCE])
    assert.deepEqual(slots('* * * * * *', WAW, p, '2027-03-28T00:59:58Z', '2027-03-28T01:00:02Z'), [
      '2027-03-28T00:59:59Z',
      '2027-03-28T01:00:00Z',
      '2027-03-28T01:00:01Z',
      '2027-03-28T01:00:02Z',
    ]);
});

// ---- croner alone ----

/** What croner 11 gives on its own in the zone (its Vixie-cron rule, by the expression's shape). */
function cronerAlone(expr: string, timeZone: string, after: string, until: string): string[] {
  const c = new Cron(expr, { mode: '5-or-6-parts', paused: true, timezone: timeZone });
  const out: Date[] = [];
  for (let d = c.nextRun(new Date(after)); d && d <= new Date(until); d = c.nextRun(d)) out.push(d);
  return iso(out);
}

test('the policy cases are ones croner alone gets wrong: it picks by the expression, not by dstPolicy', () => {
  const cases: [string, string, DstPolicy, string, string][] = [
    ['30 2 * * *', WAW, SKIP_ONCE, '2027-03-27T00:00:00Z', '2027-03-29T12:00:00Z'], // croner: 03:00 (next)
    ['30 2 * * *', WAW, NEXT_TWICE, '2027-10-30T00:00:00Z', '2027-11-01T12:00:00Z'], // croner: once
    ['15,45 * * * *', WAW, NEXT_ONCE, '2027-03-28T00:00:00Z', '2027-03-28T02:00:00Z'], // croner: skip
    ['*/30 * * * *', WAW, NEXT_ONCE, '2027-10-30T23:45:00Z', '2027-10-31T02:30:00Z'], // croner: twice
    ['30 1 * * *', NYC, SKIP_TWICE, '2027-11-06T00:00:00Z', '2027-11-08T12:00:00Z'], // croner: once
  ];
  for (const [expr, tz, policy, after, until] of cases)
    assert.notDeepEqual(cronerAlone(expr, tz, after, until), slots(expr, tz, policy, after, until), `${expr} ${tz} ${JSON.stringify(policy)}`);
  // ...and where croner's rule happens to be the policy, the two agree.
  assert.deepEqual(
    cronerAlone('30 2 * * *', WAW, '2027-03-27T00:00:00Z', '2027-11-01T12:00:00Z'),
    slots('30 2 * * *', WAW, NEXT_ONCE, '2027-03-27T00:00:00Z', '2027-11-01T12:00:00Z', 1000),
  );
  assert.deepEqual(
    cronerAlone('*/30 * * * *', NYC, '2027-11-07T04:45:00Z', '2027-11-07T07:30:00Z'),
    slots('*/30 * * * *', NYC, SKIP_TWICE, '2027-11-07T04:45:00Z', '2027-11-07T07:30:00Z'),
  );
});

// ---- zones without changes ----

test('UTC and fixed-offset zones have no gaps or overlaps', () => {
  const w = ['2027-03-27T00:00:00Z', '2027-03-29T12:00:00Z'] as const;
  assert.deepEqual(slots('30 2 * * *', 'UTC', SKIP_ONCE, ...w), ['2027-03-27T02:30:00Z', '2027-03-28T02:30:00Z', '2027-03-29T02:30:00Z']);
  assert.deepEqual(slots('30 2 * * *', 'Etc/UTC', SKIP_ONCE, ...w), ['2027-03-27T02:30:00Z', '2027-03-28T02:30:00Z', '2027-03-29T02:30:00Z']);
  // Etc/GMT-2 is UTC+2 all year.
  assert.deepEqual(slots('30 2 * * *', 'Etc/GMT-2', SKIP_ONCE, ...w), ['2027-03-27T00:30:00Z', '2027-03-28T00:30:00Z', '2027-03-29T00:30:00Z']);
  assert.deepEqual(slots('30 2 * * *', 'Asia/Kolkata', SKIP_ONCE, ...w), ['2027-03-27T21:00:00Z', '2027-03-28T21:00:00Z']);
  assert.deepEqual(
    iso(slotsBetween({ schedule: '0 0 * * *' }, new Date('2027-01-01T00:00:00Z'), new Date('2027-01-03T00:00:00Z'), 10)),
    ['2027-01-02T00:00:00Z', '2027-01-03T00:00:00Z'],
  );
});

// ---- lists, limits, bounds ----

test('a list fires at each of its expressions; an instant two share is one slot', () => {
  const list = ['*/15 * * * *', '0,30 * * * *', '10 * * * *'];
  assert.deepEqual(slots(list, 'UTC', NEXT_ONCE, '2027-01-01T00:00:00Z', '2027-01-01T01:00:00Z'), [
    '2027-01-01T00:10:00Z',
    '2027-01-01T00:15:00Z',
    '2027-01-01T00:30:00Z',
    '2027-01-01T00:45:00Z',
    '2027-01-01T01:00:00Z',
  ]);
  assert.deepEqual(slots(list, 'UTC', NEXT_ONCE, '2027-01-01T00:00:00Z', '2027-01-01T01:00:00Z', 3), [
    '2027-01-01T00:10:00Z',
    '2027-01-01T00:15:00Z',
    '2027-01-01T00:30:00Z',
  ]);
  // 02:30 moves to 03:00 CEST, where the other expression fires: one slot.
  assert.deepEqual(slots(['30 2 * * *', '0 3 * * *'], WAW, NEXT_ONCE, '2027-03-27T12:00:00Z', '2027-03-28T12:00:00Z'), ['2027-03-28T01:00:00Z']);
});

test('limit is honoured by cron, lists and intervals', () => {
  assert.deepEqual(slots('* * * * * *', WAW, NEXT_ONCE, '2027-06-01T00:00:00Z', '2027-06-02T00:00:00Z', 3), [
    '2027-06-01T00:00:01Z',
    '2027-06-01T00:00:02Z',
    '2027-06-01T00:00:03Z',
  ]);
  assert.deepEqual(slots(['*/2 * * * * *', '*/3 * * * * *'], NYC, NEXT_ONCE, '2027-06-01T00:00:00Z', '2027-06-02T00:00:00Z', 4), [
    '2027-06-01T00:00:02Z',
    '2027-06-01T00:00:03Z',
    '2027-06-01T00:00:04Z',
    '2027-06-01T00:00:06Z',
  ]);
  assert.deepEqual(slots('R/2020-01-01T00:00:00Z/PT1S', 'UTC', NEXT_ONCE, '2027-06-01T00:00:00Z', '2027-06-02T00:00:00Z', 2), [
    '2027-06-01T00:00:01Z',
    '2027-06-01T00:00:02Z',
  ]);
  assert.deepEqual(slots('* * * * * *', 'UTC', NEXT_ONCE, '2027-06-01T00:00:00Z', '2027-06-02T00:00:00Z', 0), []);
  assert.deepEqual(slots('* * * * * *', 'UTC', NEXT_ONCE, '2027-06-01T00:00:00Z', '2027-06-01T00:00:00Z'), []);
});

test('nextSlots ends for sparse schedules', () => {
  assert.deepEqual(iso(nextSlots({ schedule: '0 0 29 2 *', timeZone: WAW }, new Date('2027-01-01T00:00:00Z'), 5)), [
    '2028-02-28T23:00:00Z',
    '2032-02-28T23:00:00Z',
    '2036-02-28T23:00:00Z',
    '2040-02-28T23:00:00Z',
    '2044-02-28T23:00:00Z',
  ]);
  // February 29 that is a Monday: every 28 years, less across 2100.
  const expected: string[] = [];
  for (let y = 2027; expected.length < 3; y++) {
    const d = new Date(Date.UTC(y, 1, 29));
    if (d.getUTCMonth() === 1 && d.getUTCDay() === 1) expected.push(iso([d])[0]!);
  }
  assert.deepEqual(iso(nextSlots({ schedule: '0 0 29 2 +1', timeZone: 'UTC' }, new Date('2027-01-01T00:00:00Z'), 3)), expected);
  assert.deepEqual(
    iso(nextSlots({ schedule: '0 0 29 2 +1', timeZone: NYC }, new Date('2027-01-01T00:00:00Z'), 3)),
    expected.map((t) => t.replace('T00:00:00Z', 'T05:00:00Z')),
  );
});

// ---- intervals ----

test('R5 fires five times and stops', () => {
  const src: SlotSource = { schedule: 'R5/2026-12-01T00:00:00Z/PT10M' };
  assert.deepEqual(iso(nextSlots(src, new Date('2026-11-01T00:00:00Z'), 10)), [
    '2026-12-01T00:00:00Z',
    '2026-12-01T00:10:00Z',
    '2026-12-01T00:20:00Z',
    '2026-12-01T00:30:00Z',
    '2026-12-01T00:40:00Z',
  ]);
  assert.deepEqual(iso(nextSlots(src, new Date('2026-12-01T00:05:00Z'), 10)).length, 4);
  assert.deepEqual(iso(nextSlots(src, new Date('2026-12-01T00:40:00Z'), 10)), []);
  assert.deepEqual(iso(nextSlots({ schedule: 'R0/2026-12-01T00:00:00Z/PT10M' }, new Date(0), 10)), []);
});

test('R forever with an old start: the index is computed, not counted from the start', () => {
  const src: SlotSource = { schedule: 'R/2020-01-01T00:00:00Z/PT1S' };
  assert.deepEqual(iso(slotsBetween(src, new Date('2027-06-01T00:00:00.500Z'), new Date('2027-06-01T00:00:03Z'), 10)), [
    '2027-06-01T00:00:01Z',
    '2027-06-01T00:00:02Z',
    '2027-06-01T00:00:03Z',
  ]);
  assert.deepEqual(iso(slotsBetween(src, new Date('2027-06-01T00:00:00Z'), new Date('2027-06-01T00:00:01Z'), 10)), ['2027-06-01T00:00:01Z']);
  // The zone does not move an interval: every 30 minutes of the instant clock.
  assert.deepEqual(slots('R/2027-03-28T00:00:00Z/PT30M', WAW, SKIP_ONCE, '2027-03-28T00:00:00Z', '2027-03-28T01:30:00Z'), [
    '2027-03-28T00:30:00Z',
    '2027-03-28T01:00:00Z',
    '2027-03-28T01:30:00Z',
  ]);
  // Empty start: the job's creation.
  const created = { schedule: 'R//PT1H', createdAt: new Date('2027-01-01T00:20:00Z') };
  assert.deepEqual(iso(slotsBetween(created, new Date('2027-01-01T05:30:00Z'), new Date('2027-01-01T08:20:00Z'), 10)), [
    '2027-01-01T06:20:00Z',
    '2027-01-01T07:20:00Z',
    '2027-01-01T08:20:00Z',
  ]);
});

test('P1M and P1Y keep the start day, clamped to short months', () => {
  const monthly: SlotSource = { schedule: 'R/2027-01-31T09:00:00Z/P1M' };
  assert.deepEqual(iso(nextSlots(monthly, new Date('2027-01-01T00:00:00Z'), 4)), [
    '2027-01-31T09:00:00Z',
    '2027-02-28T09:00:00Z',
    '2027-03-31T09:00:00Z',
    '2027-04-30T09:00:00Z',
  ]);
  assert.deepEqual(iso(nextSlots(monthly, new Date('2030-02-15T00:00:00Z'), 2)), ['2030-02-28T09:00:00Z', '2030-03-31T09:00:00Z']);
  assert.deepEqual(iso(nextSlots(monthly, new Date('2032-02-29T09:00:00Z'), 1)), ['2032-03-31T09:00:00Z']);
  assert.deepEqual(iso(nextSlots({ schedule: 'R3/2028-02-29T00:00:00Z/P1Y' }, new Date('2028-02-29T00:00:00Z'), 5)), [
    '2029-02-28T00:00:00Z',
    '2030-02-28T00:00:00Z',
  ]);
  assert.deepEqual(iso(nextSlots({ schedule: 'R/2027-01-31T00:00:00Z/P1M1D' }, new Date('2027-01-31T00:00:00Z'), 2)), [
    '2027-03-01T00:00:00Z',
    '2027-04-02T00:00:00Z',
  ]);
});

// ---- against a brute-force reading of the wall clock ----

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
/** The wall clock at t, as the UTC ms that reads the same (straight from Intl). */
function wallAt(tz: string, t: number): number {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
    fmtCache.set(tz, f);
  }
  const m = /(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)/.exec(f.format(t))!;
  return Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!, +m[6]!);
}

/**
 * The policy, read literally by sweeping every step of the instant clock:
 * an instant runs when its wall clock matches (once: the first instant of
 * that wall clock only); next: an instant right after skipped walls of which
 * one matches runs too.
 */
function bruteForce(expr: string, tz: string, p: DstPolicy, after: number, until: number, step: number): number[] {
  const cron = new Cron(expr, { mode: '5-or-6-parts', paused: true, utcOffset: 0 });
  const seen = new Set<number>();
  const out = new Set<number>();
  // Early enough to have seen the first pass of any repeated wall clock.
  const from = Math.floor((after - 3_600_000 - step) / step) * step;
  let prev = wallAt(tz, from - step);
  for (let t = from; t <= until; t += step) {
    const w = wallAt(tz, t);
    if (p.gap === 'next' && w - prev > step)
      for (let g = prev + step; g < w; g += step) if (cron.match(new Date(g))) out.add(t);
    if (cron.match(new Date(w)) && (p.overlap === 'twice' || !seen.has(w))) out.add(t);
    seen.add(w);
    prev = w;
  }
  return [...out].filter((t) => t > after && t <= until).sort((a, b) => a - b);
}

/** The instants (whole minutes) of 2027 where tz's offset changes. */
function changes2027(tz: string): number[] {
  const out: number[] = [];
  const off = (t: number): number => wallAt(tz, t) - t;
  for (let t = Date.UTC(2027, 0, 1); t < Date.UTC(2028, 0, 1); t += 3_600_000) {
    if (off(t) === off(t + 3_600_000)) continue;
    let m = t;
    while (off(m + 60_000) === off(t)) m += 60_000;
    out.push(m + 60_000);
  }
  return out;
}

test('matches a brute-force sweep of the wall clock around every 2027 change, in four zones, for all four policies', () => {
  const random = rng(2027);
  const minuteExprs = ['30 2 * * *', '0 * * * *', '*/30 * * * *', '15,45 * * * *', '*/7 1-3 * * *', '30 1,2 * * *', '59 1 * * *', '0 3 * * *', '45 2 * * 0', '*/20 * * * *'];
  const secondExprs = ['*/20 59 1 * * *', '*/15 */10 2 * * *', '0 0 2 * * *', '30 59 2 * * *'];
  const policies = [NEXT_ONCE, SKIP_ONCE, NEXT_TWICE, SKIP_TWICE];
  let compared = 0;
  // Lord Howe moves its clocks by 30 minutes; Sydney's changes fall in April and October.
  for (const tz of [WAW, NYC, 'Australia/Sydney', 'Australia/Lord_Howe']) {
    for (const change of changes2027(tz)) {
      for (const [exprs, step, span] of [
        [minuteExprs, 60_000, 6 * 3_600_000],
        [secondExprs, 1000, 1_800_000],
      ] as const) {
        for (const expr of exprs) {
          const policy = policies[Math.floor(random() * 4)]!;
          // From before the change to inside its repeated hour, at any millisecond.
          const after = change - span + Math.floor(random() * (span + 3_600_000));
          const until = change + Math.floor(random() * span);
          const limit = 1 + Math.floor(random() * 40);
          const want = bruteForce(expr, tz, policy, after, until, step).slice(0, limit);
          const got = slotsBetween({ schedule: expr, timeZone: tz, dstPolicy: policy }, new Date(after), new Date(until), limit).map((d) => d.getTime());
          assert.deepEqual(iso(got.map((t) => new Date(t))), iso(want.map((t) => new Date(t))), `${expr} ${tz} ${JSON.stringify(policy)} (${new Date(after).toISOString()}, ${new Date(until).toISOString()}] limit ${limit}`);
          compared++;
        }
      }
    }
  }
  assert.equal(compared, 4 * 2 * (minuteExprs.length + secondExprs.length));
});

test('consecutive calls, as the loop makes them, give the same slots as one call', () => {
  for (const policy of [NEXT_ONCE, SKIP_TWICE, NEXT_TWICE]) {
    const src: SlotSource = { schedule: ['*/10 * * * *', '30 2 * * *'], timeZone: WAW, dstPolicy: policy };
    const from = new Date('2027-10-30T22:00:00Z');
    const until = new Date('2027-10-31T04:00:00Z');
    const whole = iso(slotsBetween(src, from, until, 1000));
    const stepped: string[] = [];
    for (let last = from; ; ) {
      const [next] = slotsBetween(src, last, until, 1);
      if (!next) break;
      stepped.push(iso([next])[0]!);
      last = next;
    }
    assert.deepEqual(stepped, whole);
    // Six hours of */10: 36 instants, less the 6 of the repeated hour under once.
    assert.equal(whole.length, policy.overlap === 'once' ? 30 : 36);
  }
});

// ---- in words ----

test('describeSchedule', () => {
  const d = (schedule: string | string[], timeZone?: string, createdAt?: Date): string => describeSchedule({ schedule, timeZone, createdAt });
  assert.equal(d('*/2 * * * * *'), 'every 2 seconds');
  assert.equal(d('* * * * * *'), 'every second');
  assert.equal(d('*/5 * * * *'), 'every 5 minutes');
  assert.equal(d('* * * * *'), 'every minute');
  assert.equal(d('15 * * * * *'), 'every minute at second 15');
  assert.equal(d('@hourly'), 'at minute 0 of every hour');
  assert.equal(d('30 */2 * * *'), 'at minute 30 of every 2 hours');
  assert.equal(d('30 2 * * *'), 'at 02:30 every day');
  assert.equal(d('@daily', 'Etc/UTC'), 'at 00:00 every day');
  assert.equal(d('30 2 * * *', 'Europe/Warsaw'), 'at 02:30 every day (Europe/Warsaw)');
  assert.equal(d('0 30 2,14 * * *'), 'at 02:30 and 14:30 every day');
  assert.equal(d('15 30 2 * * *'), 'at 02:30:15 every day');
  assert.equal(d('0 9 * * 1'), 'every Monday at 09:00');
  assert.equal(d('0 9 * * MON-FRI', 'America/New_York'), 'every Monday to Friday at 09:00 (America/New_York)');
  assert.equal(d('0 18 * * 1,3,5'), 'every Monday, Wednesday and Friday at 18:00');
  assert.equal(d('@weekly'), 'every Sunday at 00:00');
  assert.equal(d('@monthly'), 'at 00:00 on day 1 of every month');
  assert.equal(d('0 6 1,15 * *'), 'at 06:00 on days 1 and 15 of every month');
  assert.equal(d('0 23 L * *'), 'at 23:00 on the last day of every month');
  assert.equal(d('0 0 29 2 *'), 'at 00:00 on February 29 every year');
  assert.equal(d('@yearly'), 'at 00:00 on January 1 every year');
  assert.equal(d('R5/2026-12-01T00:00:00Z/PT10M'), 'every 10 minutes from 2026-12-01T00:00:00Z, 5 times');
  assert.equal(d('R/2026-12-01T00:00:00Z/PT1S', 'Europe/Warsaw'), 'every second from 2026-12-01T00:00:00Z');
  assert.equal(d('R1/2026-12-01T01:00:00+01:00/P1D'), 'every day from 2026-12-01T00:00:00Z, once');
  assert.equal(d('R//P1DT12H'), "every 1 day and 12 hours from the job's creation");
  assert.equal(d('R//P1M', undefined, new Date('2027-01-31T00:00:00Z')), 'every month from 2027-01-31T00:00:00Z');
  assert.equal(d(['0 9 * * 1-5', '0 12 * * 0'], 'Europe/Warsaw'), 'every Monday to Friday at 09:00; every Sunday at 12:00 (Europe/Warsaw)');
  // Beyond the common shapes: the expression itself.
  assert.equal(d('0 0 9 1-7 * 1'), 'cron "0 0 9 1-7 * 1"');
  assert.equal(d('5 4 * * 2#1', 'Europe/Warsaw'), 'cron "5 4 * * 2#1" (Europe/Warsaw)');
  assert.equal(d('0 0,10,20,30,40 1,2 * * *'), 'cron "0 0,10,20,30,40 1,2 * * *"');
});
