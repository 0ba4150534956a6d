/** Docker stats -> usage: the cpu delta formula and memory without page cache. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usageFromStats } from './stats.js';

const MiB = 1024 * 1024;

test('cpus = (cpu_delta / system_delta) * online_cpus', () => {
  // 1 s of container cpu over 4 s of system time (2 cores for 2 s): a quarter of the machine = 0.5 cores.
  const u = usageFromStats({
    cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 14_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 10_000_000_000 },
    memory_stats: { usage: 10 * MiB, stats: {} },
  });
  assert.equal(u.cpus, 0.5);
});

test('online_cpus falls back to the length of percpu_usage, then 1', () => {
  const base = { total_usage: 2_000_000_000 };
  const pre = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 4_000_000_000 };
  assert.equal(usageFromStats({ cpu_stats: { cpu_usage: { ...base, percpu_usage: [1, 2, 3, 4] }, system_cpu_usage: 8_000_000_000 }, precpu_stats: pre }).cpus, 1);
  assert.equal(usageFromStats({ cpu_stats: { cpu_usage: base, system_cpu_usage: 8_000_000_000 }, precpu_stats: pre }).cpus, 0.25);
});

test('no precpu sample (a first or stopped container) is 0 cpus, not a huge figure', () => {
  const u = usageFromStats({
    cpu_stats: { cpu_usage: { total_usage: 9_000_000_000 }, system_cpu_usage: 90_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 0 } },
  });
  assert.equal(u.cpus, 0);
  assert.equal(usageFromStats({}).cpus, 0);
});

test('memory leaves the page cache out (cgroup v1 total_inactive_file, v2 inactive_file, old cache)', () => {
  assert.equal(usageFromStats({ memory_stats: { usage: 30 * MiB, stats: { total_inactive_file: 10 * MiB, cache: 20 * MiB } } }).memBytes, 20 * MiB);
  assert.equal(usageFromStats({ memory_stats: { usage: 30 * MiB, stats: { inactive_file: 5 * MiB } } }).memBytes, 25 * MiB);
  assert.equal(usageFromStats({ memory_stats: { usage: 30 * MiB, stats: { cache: 8 * MiB } } }).memBytes, 22 * MiB);
  assert.equal(usageFromStats({ memory_stats: { usage: 3 * MiB, stats: { cache: 8 * MiB } } }).memBytes, 3 * MiB);
});
