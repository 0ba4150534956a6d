/** `stowctl top`: the printers, and the commands against a fake API (selector, namespace, bad flags). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource, Node, Task } from '../../api/types.js';
import { startFakeApi, stowctl, type FakeApi } from '../testutil.js';
import { formatCores, formatMemBytes, topNodesTable, topTasksTable } from './top.js';

const MiB = 1024 * 1024;
const now = new Date('2026-12-01T00:01:00Z');

const node = (name: string, usage = true): Node => ({
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name },
  spec: { capacity: { cpus: 2, mem: 2048, disk: 0 }, portRanges: [], attributes: {} },
  status: {
    state: 'Ready',
    capacity: { cpus: 2, mem: 2048, disk: 0 },
    allocated: { cpus: 0.6, mem: 64, disk: 0, ports: 0 },
    ...(usage
      ? {
          usage: {
            cpus: 0.512,
            mem: 13,
            memBytes: 13 * MiB,
            at: '2026-12-01T00:00:50Z',
            tasks: { 'default/busy': { cpus: 0.5, memBytes: 1 * MiB }, 'default/idle': { cpus: 0.012, memBytes: 12 * MiB } },
          },
        }
      : {}),
  },
});

const task = (name: string, nodeName: string, state: 'Running' | 'Succeeded' = 'Running', labels: Record<string, string> = {}): Task =>
  ({
    apiVersion: 'stowage/v1',
    kind: 'Task',
    metadata: { name, namespace: 'default', labels },
    spec: { image: 'i', resources: { cpus: 0.5, mem: 32, disk: 0 } },
    status: { state, nodeName },
  }) as unknown as Task;

test('cores in millicores, memory in MiB', () => {
  assert.equal(formatCores(0.5), '500m');
  assert.equal(formatCores(0.0123), '12m');
  assert.equal(formatMemBytes(12.4 * MiB), '12Mi');
});

test('top nodes: used/allocated/capacity, <unknown> before the first sample', () => {
  const out = topNodesTable([node('n2', false), node('n1')], now);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME +STATE +CPU\(USED\/ALLOC\/CAP\) +MEM\(USED\/ALLOC\/CAP\) +SAMPLED$/);
  assert.match(lines[1]!, /^n1 +Ready +0\.51\/0\.6\/2 +13\/64\/2048Mi +10s$/);
  assert.match(lines[2]!, /^n2 +Ready +<unknown>\/0\.6\/2 +<unknown>\/64\/2048Mi +-$/);
});

test('top tasks: running tasks only, usage from their node, NAMESPACE with -A', () => {
  const tasks = [task('idle', 'n1'), task('busy', 'n1'), task('done', 'n1', 'Succeeded'), task('new', 'n2')];
  const lines = topTasksTable(tasks, [node('n1'), node('n2', false)], { allNamespaces: false }).trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.split(/ +/)), [
    ['NAME', 'NODE', 'CPU(cores)', 'MEM(bytes)'],
    ['busy', 'n1', '500m', '1Mi'],
    ['idle', 'n1', '12m', '12Mi'],
    ['new', 'n2', '<unknown>', '<unknown>'],
  ]);
  const all = topTasksTable([task('busy', 'n1')], [node('n1')], { allNamespaces: true }).split('\n');
  assert.deepEqual(all[1]!.split(/ +/), ['default', 'busy', 'n1', '500m', '1Mi']);
});

let api: FakeApi;
before(async () => {
  api = await startFakeApi();
  api.put(node('n1') as AnyResource);
  api.put(task('busy', 'n1', 'Running', { app: 'a' }) as unknown as AnyResource);
  api.put(task('idle', 'n1', 'Running', { app: 'b' }) as unknown as AnyResource);
});
after(() => api.close());

test('stowctl top tasks -l passes the selector and the namespace to the API', async () => {
  const r = await stowctl(['top', 'tasks', '-l', 'app=a', '-n', 'default', '--server', api.url]);
  assert.equal(r.code, 0, r.err);
  const get = api.requests.find((q) => q.path === '/api/v1/tasks')!;
  assert.equal(get.query.get('labelSelector'), 'app=a');
  assert.equal(get.query.get('namespace'), 'default');
  assert.match(r.out, /\nbusy +n1 +500m +1Mi\n/);
  assert.doesNotMatch(r.out, /idle/);
});

test('stowctl top nodes prints the table', async () => {
  const r = await stowctl(['top', 'nodes', '--server', api.url]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\nn1 +Ready +0\.51\/0\.6\/2 /);
});

test('bad flags and resources exit non-zero naming them', async () => {
  const bad = await stowctl(['top', 'tasks', '--bogus', '--server', api.url]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--bogus/);
  const what = await stowctl(['top', 'pods', '--server', api.url]);
  assert.notEqual(what.code, 0);
  assert.match(what.err, /pods/);
  const none = await stowctl(['top', '--server', api.url]);
  assert.notEqual(none.code, 0);
});
