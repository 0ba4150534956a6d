/** The usage sampler: aggregation, the "meaningful change" rule that bounds etcd writes, gauges. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import type { Node, NodeStatus, NodeUsage } from '../api/types.js';
import { nopLogger } from '../log/logger.js';
import { agentRegistry } from '../metrics/metrics.js';
import { writeNodeUsage } from '../store/node-usage.js';
import { REFRESH_MS, UsageSampler, aggregate, changedMeaningfully } from './usage.js';

const MiB = 1024 * 1024;
const t0 = new Date('2026-12-01T00:00:00Z');

test('aggregate sums the tasks and keys them by namespace/name', () => {
  const u = aggregate(
    [
      { ns: 'default', name: 'b', usage: { cpus: 0.5, memBytes: 3 * MiB } },
      { ns: 'x', name: 'a', usage: { cpus: 0.012, memBytes: 1 * MiB } },
    ],
    t0,
  );
  assert.deepEqual(u, {
    cpus: 0.512,
    mem: 4,
    memBytes: 4 * MiB,
    at: t0.toISOString(),
    tasks: { 'default/b': { cpus: 0.5, memBytes: 3 * MiB }, 'x/a': { cpus: 0.012, memBytes: 1 * MiB } },
  });
});

test('a small wobble is not written; a task coming or going, a real cpu or mem move, or staleness is', () => {
  const prev = aggregate([{ ns: 'd', name: 'a', usage: { cpus: 0.5, memBytes: 20 * MiB } }], t0);
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const next = (cpus: number, memBytes: number, ms = 10_000) => aggregate([{ ns: 'd', name: 'a', usage: { cpus, memBytes } }], at(ms));
  assert.equal(changedMeaningfully(undefined, next(0.5, 20 * MiB)), true);
  assert.equal(changedMeaningfully(prev, next(0.52, 21 * MiB)), false);
  assert.equal(changedMeaningfully(prev, next(0.1, 20 * MiB)), true);
  assert.equal(changedMeaningfully(prev, next(0.5, 40 * MiB)), true);
  assert.equal(changedMeaningfully(prev, next(0.5, 20 * MiB, REFRESH_MS)), true);
  assert.equal(changedMeaningfully(prev, aggregate([], at(10_000))), true);
  const two = aggregate([{ ns: 'd', name: 'a', usage: { cpus: 0.5, memBytes: 20 * MiB } }, { ns: 'd', name: 'b', usage: { cpus: 0, memBytes: 0 } }], at(10_000));
  assert.equal(changedMeaningfully(prev, two), true);
});

/** A store holding one Node status, with CAS, counting writes. */
function fakeStore(status: NodeStatus) {
  let rev = 1;
  const s = {
    status,
    writes: 0,
    conflictNext: false,
    async getGrouped() {
      return { object: { metadata: { name: 'n1' }, spec: {}, status: s.status } as unknown as Node, specRev: '1', statusRev: String(rev) };
    },
    async putStatusGrouped(_k: unknown, _ns: unknown, _n: string, st: unknown, expected: string) {
      if (s.conflictNext) {
        s.conflictNext = false;
        rev++;
        throw new ApiError('Conflict', 'status changed');
      }
      assert.equal(expected, String(rev));
      s.status = st as NodeStatus;
      s.writes++;
      return String(++rev);
    },
  };
  return s;
}

test('the sampler writes the node usage on a change only, keeps the rest of the status, and retries a conflict', async () => {
  const store = fakeStore({ state: 'Ready', tasks: { 'd/a': { cpus: 1, mem: 32, disk: 0, ports: [] } } });
  let cpus = 0.5;
  let now = t0;
  const sampler = new UsageSampler({
    node: 'n1',
    runtime: { stats: async (id) => (id === 'c1' ? { cpus, memBytes: 10 * MiB } : undefined) },
    running: () => [{ ns: 'd', name: 'a', containerId: 'c1' }, { ns: 'd', name: 'gone', containerId: 'c2' }],
    sink: {
      writeUsage: (n, u) => {
        asked++;
        return writeNodeUsage(store as never, n, u);
      },
    },
    log: nopLogger,
    intervalMs: 10_000,
    now: () => now,
  });
  let asked = 0;
  store.conflictNext = true;
  await sampler.sampleOnce();
  assert.equal(store.writes, 1);
  assert.deepEqual(Object.keys(store.status.usage!.tasks), ['d/a']);
  assert.ok(store.status.tasks?.['d/a'], 'the binder\'s tasks are kept');
  now = new Date(t0.getTime() + 10_000);
  cpus = 0.51;
  await sampler.sampleOnce();
  assert.equal(store.writes, 1, 'a wobble is not written');
  assert.equal(asked, 1, 'nor sent: it did not move from what the sampler wrote');
  cpus = 0.05;
  await sampler.sampleOnce();
  assert.equal(store.writes, 2);
  assert.equal((store.status.usage as NodeUsage).cpus, 0.05);
  const text = await agentRegistry.metrics();
  assert.match(text, /stowage_task_cpu_usage_cores\{namespace="d",task="a",node="n1"\} 0\.05/);
  assert.match(text, /stowage_node_memory_usage_bytes\{node="n1"\} 10485760/);
});
