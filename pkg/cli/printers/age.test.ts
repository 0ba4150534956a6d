import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, humanDuration } from './age.js';

test('humanDuration prints ages as kubectl does', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [3 * m, '3m'],
    [3 * m + 20 * s, '3m20s'],
    [12 * m + 5 * s, '12m'],
    [179 * m, '179m'],
    [2 * h, '120m'],
    [3 * h, '3h'],
    [5 * h + 30 * m, '5h30m'],
    [30 * h, '30h'],
    [4 * d, '4d'],
    [2 * d + 3 * h, '2d3h'],
    [45 * d, '45d'],
    [800 * d, '2y70d'],
    [365 * 9 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('age of a timestamp, and of none', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  assert.equal(age('2026-01-01T00:09:55Z', now), '5s');
  assert.equal(age(undefined, now), '<unknown>');
  assert.equal(age('yesterday', now), '<unknown>');
});
