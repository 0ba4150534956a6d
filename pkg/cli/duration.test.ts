import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration reads Go-style durations and bare seconds', () => {
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2.5s'), 2500);
  assert.equal(parseDuration('30'), 30_000);
});

test('parseDuration names the flag on a bad value', () => {
  for (const bad of ['', 'five', '5x', 'm5', '5m junk', '-1s']) {
    assert.throws(() => parseDuration(bad), /invalid value ".*" for --timeout: expected a duration like 30s, 5m or 1h30m/);
  }
});

test('formatDuration is short', () => {
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(250), '250ms');
});
