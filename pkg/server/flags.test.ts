import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, parseBytes, parseDuration, parseChoice, parseNumber, parseHostPort, parseInteger, parseSeconds, parseShare } from './flags.js';

describe('server flags', () => {
  it('HOST:PORT', () => {
    assert.deepEqual(parseHostPort('--listen', '127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
    assert.deepEqual(parseHostPort('--listen', '[::1]:0'), { host: '::1', port: 0 });
    for (const bad of ['7070', '127.0.0.1:', 'x:y', '1.2.3.4:70000']) {
      assert.throws(() => parseHostPort('--listen', bad), { message: `--listen: "${bad}" is not HOST:PORT (e.g. 127.0.0.1:7070)` });
    }
  });
  it('seconds with a floor', () => {
    assert.equal(parseSeconds('--lease-ttl', '5', 2), 5);
    assert.equal(parseSeconds('--node-lost-grace', '0.5', 0), 0.5);
    assert.throws(() => parseSeconds('--lease-ttl', '1', 2), { message: '--lease-ttl: "1" must be a number of seconds >= 2' });
    assert.throws(() => parseSeconds('--lease-ttl', '5s', 2), { message: '--lease-ttl: "5s" must be a number of seconds >= 2' });
  });
  it('a share from 0 to 1', () => {
    assert.equal(parseShare('--health-kill-share', '0.25'), 0.25);
    assert.equal(parseShare('--health-kill-share', '1'), 1);
    for (const bad of ['2', '-0.1', 'half']) {
      assert.throws(() => parseShare('--health-kill-share', bad), { message: `--health-kill-share: "${bad}" must be a number from 0 to 1` });
    }
  });
  it('a whole number with a floor', () => {
    assert.equal(parseInteger('--etcd-max-txn-ops', '512', 128), 512);
    for (const bad of ['64', '1e3', '200.5', 'many']) {
      assert.throws(() => parseInteger('--etcd-max-txn-ops', bad, 128), { message: `--etcd-max-txn-ops: "${bad}" must be a whole number >= 128` });
    }
  });
  it('sizes in bytes', () => {
    assert.equal(parseBytes('--watch-queue-bytes', '8Mi', 1), 8 << 20);
    assert.equal(parseBytes('--watch-queue-bytes', '512Ki', 1), 512 << 10);
    assert.equal(parseBytes('--watch-queue-bytes', '1048576', 1), 1048576);
    for (const bad of ['0', '8MB', '-1', '1.5Mi', 'lots']) {
      assert.throws(() => parseBytes('--watch-queue-bytes', bad, 1), { message: `--watch-queue-bytes: "${bad}" must be a size in bytes >= 1 (e.g. 8Mi, 512Ki, 1048576)` });
    }
  });
  it('loopback hosts (development mode listens only there)', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '127.0.0.1.nip.io', '127.0.0.256']) assert.equal(isLoopback(h), false, h);
  });
  it('a number of something', () => {
    assert.equal(parseNumber('--rate-limit', '0.5', 0, 'requests a second'), 0.5);
    assert.throws(() => parseNumber('--rate-limit', '-1', 0, 'requests a second'), { message: '--rate-limit: "-1" must be a number of requests a second >= 0' });
  });
  it('one of a few words', () => {
    assert.equal(parseChoice('--metrics-auth', 'token', ['none', 'token']), 'token');
    assert.throws(() => parseChoice('--metrics-auth', 'yes', ['none', 'token']), { message: '--metrics-auth: "yes" must be one of none, token' });
  });
  it('parses durations: units, a bare number of seconds, 0 = off; anything else names the flag', () => {
    assert.equal(parseDuration('--compaction-interval', '5m'), 300_000);
    assert.equal(parseDuration('--compaction-interval', '1m30s'), 90_000);
    assert.equal(parseDuration('--compaction-interval', '500ms'), 500);
    assert.equal(parseDuration('--compaction-interval', '1h'), 3_600_000);
    assert.equal(parseDuration('--compaction-interval', '2'), 2000);
    assert.equal(parseDuration('--compaction-interval', '0'), 0);
    for (const bad of ['', '5 minutes', '-1s', '5x', 'm', '5m junk']) {
      assert.throws(() => parseDuration('--compaction-interval', bad), { message: `--compaction-interval: "${bad}" must be a duration such as 5m, 30s, 1h or 1m30s (0 = off)` });
    }
  });
});
