import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule, scheduleError, parseDuration, timeZoneError } from './schedule.js';

test('cron: 5 fields, 6 fields, nicknames', () => {
  assert.deepEqual(parseSchedule('*/5 * * * *'), { kind: 'cron', expr: '*/5 * * * *' });
  assert.deepEqual(parseSchedule('*/2 * * * * *'), { kind: 'cron', expr: '*/2 * * * * *' });
  assert.equal(parseSchedule('@daily').kind, 'cron');
  assert.equal(parseSchedule('0 9 * * MON-FRI', 'Europe/Berlin').kind, 'cron');
});

test('cron errors', () => {
  assert.equal(scheduleError('*/0 * * * *'), 'invalid cron expression "*/0 * * * *": Syntax error, illegal stepping: 0');
  assert.equal(scheduleError('0 0 30 2 *'), 'cron expression "0 0 30 2 *" never fires');
});

test('ISO 8601 repeating intervals', () => {
  assert.deepEqual(parseSchedule('R/2026-12-01T00:00:00Z/PT2S'), {
    kind: 'interval',
    start: new Date('2026-12-01T00:00:00Z'),
    period: { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 2 },
  });
  const r = parseSchedule('R5/2026-12-01T01:30:00.5+01:00/P1DT12H');
  assert.ok(r.kind === 'interval');
  assert.equal(r.repeat, 5);
  assert.equal(r.start!.toISOString(), '2026-12-01T00:30:00.500Z');
  assert.deepEqual(r.period, { years: 0, months: 0, weeks: 0, days: 1, hours: 12, minutes: 0, seconds: 0 });
  const now = parseSchedule('R//PT1H');
  assert.ok(now.kind === 'interval');
  assert.equal(now.start, undefined);
  assert.equal(now.repeat, undefined);
  assert.equal(parseSchedule('R0/2026-01-01T00:00:00+0530/P1W').kind, 'interval');
});

const BAD_ISO: [string, string][] = [
  ['R/2026-12-01T00:00:00Z', 'is not R[n]/<start>/<period>, e.g. R/2026-12-01T00:00:00Z/PT2S'],
  ['R/2026-12-01T00:00:00Z/PT0S', 'period "PT0S" must be at least 1 second'],
  ['R/2026-12-01T00:00:00Z/PT0.5S', 'period "PT0.5S" must be at least 1 second'],
  ['R/2026-12-01T00:00:00Z/P', 'period "P" is not an ISO 8601 duration such as PT30S, PT1H or P1D'],
  ['R/2026-12-01T00:00:00Z/P1DT', 'period "P1DT" is not an ISO 8601 duration such as PT30S, PT1H or P1D'],
  ['R/2026-12-01T00:00:00/PT1S', 'start "2026-12-01T00:00:00" is not an ISO 8601 date-time with a zone, such as 2026-12-01T00:00:00Z'],
  ['R/2026-02-30T00:00:00Z/PT1S', 'start "2026-02-30T00:00:00Z" is not an ISO 8601 date-time with a zone, such as 2026-12-01T00:00:00Z'],
  ['R/2026-12-01T24:00:00Z/PT1S', 'start "2026-12-01T24:00:00Z" is not an ISO 8601 date-time with a zone, such as 2026-12-01T00:00:00Z'],
];

for (const [s, why] of BAD_ISO) {
  test(`bad interval ${s}`, () => {
    const err = scheduleError(s);
    assert.ok(err !== undefined);
    assert.equal(err, `invalid ISO 8601 repeating interval "${s}": ${why.startsWith('is not') ? `"${s}" ${why}` : why}`);
  });
}

test('bad repetitions and non-cron strings', () => {
  assert.equal(
    scheduleError('Rx/2026-12-01T00:00:00Z/PT1S'),
    'invalid ISO 8601 repeating interval "Rx/2026-12-01T00:00:00Z/PT1S": repetitions "Rx" must be R (forever) or Rn with n a whole number',
  );
  // croner alone would take a date as "once at"
  assert.equal(
    scheduleError('2026-12-01T00:00:00Z'),
    'invalid cron expression "2026-12-01T00:00:00Z": expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; got 1',
  );
  assert.equal(
    scheduleError('* * * * * * *'),
    'invalid cron expression "* * * * * * *": expected 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly; got 7',
  );
  assert.match(scheduleError('@sometimes')!, /^invalid cron expression "@sometimes": /);
});

test('durations', () => {
  assert.deepEqual(parseDuration('P1Y2M3W4DT5H6M7.5S'), { years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7.5 });
});

test('time zones', () => {
  assert.equal(timeZoneError('UTC'), undefined);
  assert.equal(timeZoneError('America/New_York'), undefined);
  assert.equal(timeZoneError('Nowhere/Land'), 'unknown time zone "Nowhere/Land" (use an IANA name such as "UTC" or "Europe/Berlin")');
});
