import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANT_RULE, isoInstant, parseInstant } from './instant.js';

const ok = (v: unknown): string => {
  const t = parseInstant(v);
  if (!(t instanceof Date)) return assert.fail(`${JSON.stringify(v)}: ${t.error}`);
  return t.toISOString();
};

describe('parseInstant', () => {
  it('ISO 8601 with Z or an offset, with or without seconds and fractions', () => {
    assert.equal(ok('2026-12-01T00:00:00Z'), '2026-12-01T00:00:00.000Z');
    assert.equal(ok('2026-12-01T01:30+01:30'), '2026-12-01T00:00:00.000Z');
    assert.equal(ok('2026-12-01T00:00:00.5-0100'), '2026-12-01T01:00:00.500Z');
    assert.equal(ok('2026-12-01T00:00:00.123456789Z'), '2026-12-01T00:00:00.123Z');
  });
  it('unix seconds as a number or a string of digits', () => {
    assert.equal(ok(1796083200), '2026-12-01T00:00:00.000Z');
    assert.equal(ok('1796083200'), '2026-12-01T00:00:00.000Z');
    assert.equal(ok(0), '1970-01-01T00:00:00.000Z');
  });
  it('refuses what names no instant, or no single one, saying the rule', () => {
    for (const v of ['2026-12-01T00:00:00', '2026-12-01', '2026-02-30T00:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T00:00:60Z', '2026-12-01T00:00:00+24:00', 'yesterday', '', -1, 1.5, 9e12, true, null, {}]) {
      const t = parseInstant(v);
      assert.ok(!(t instanceof Date), `${JSON.stringify(v)} was taken`);
      assert.equal(t.error, `must be ${INSTANT_RULE}, got ${JSON.stringify(v)}`);
    }
  });
  it('isoInstant leaves out zero milliseconds', () => {
    assert.equal(isoInstant(new Date('2026-12-01T00:00:00Z')), '2026-12-01T00:00:00Z');
    assert.equal(isoInstant(new Date('2026-12-01T00:00:00.250Z')), '2026-12-01T00:00:00.250Z');
  });
});
