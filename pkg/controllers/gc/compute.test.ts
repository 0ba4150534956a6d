import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Task, TaskState } from '../../api/types.js';
import { eventsToExpire, orphanAction, releasable } from './compute.js';

const alloc = { cpus: 0.1, mem: 16, disk: 0, ports: [] };
const node: Node = {
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name: 'n1' },
  spec: { capacity: { cpus: 1, mem: 1024, disk: 0 }, portRanges: [], attributes: {} },
  status: { state: 'Ready', tasks: { 'default/run': alloc, 'default/done': alloc, 'default/gone': alloc, 'default/lost': alloc } },
};
const task = (name: string, state: TaskState | undefined, extra: Partial<Task['spec']> = {}, nodeName?: string): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name, namespace: 'default' },
  spec: { image: 'x', resources: { cpus: 0.1, mem: 16, disk: 0 }, ...extra },
  status: state ? { state, nodeName } : undefined,
});

describe('gc compute', () => {
  it('releases ended tasks and asks to confirm the ones the cache lacks', () => {
    const tasks: Record<string, Task> = {
      'default/run': task('run', 'Running', {}, 'n1'),
      'default/done': task('done', 'Succeeded', {}, 'n1'),
      'default/lost': task('lost', 'Lost', {}, 'n1'),
    };
    assert.deepEqual(releasable(node, (r) => tasks[r]), { ended: ['default/done', 'default/lost'], missing: ['default/gone'] });
  });

  const uid = (owner: string) => (owner === 'service/web' ? 'uid-1' : undefined);
  const cases: { name: string; t: Task; want: string }[] = [
    { name: 'no owner: kept', t: task('a', 'Running'), want: 'none' },
    { name: 'hand-written task naming a missing owner: kept', t: task('a', 'Pending', { owner: 'service/nope' }), want: 'none' },
    { name: 'owner alive, same uid: kept', t: task('a', 'Running', { owner: 'service/web', ownerUid: 'uid-1' }, 'n1'), want: 'none' },
    { name: 'owner gone, unbound: deleted', t: task('a', 'Pending', { owner: 'service/old', ownerUid: 'u' }), want: 'delete' },
    { name: 'owner gone, ended: deleted', t: task('a', 'Failed', { owner: 'service/old', ownerUid: 'u' }, 'n1'), want: 'delete' },
    { name: 'owner gone, running: killed', t: task('a', 'Running', { owner: 'service/old', ownerUid: 'u' }, 'n1'), want: 'kill' },
    { name: 'owner re-created (new uid), running: killed', t: task('a', 'Running', { owner: 'service/web', ownerUid: 'uid-0' }, 'n1'), want: 'kill' },
    { name: 'owner gone, already being killed: left to its agent', t: task('a', 'Running', { owner: 'service/old', ownerUid: 'u', desiredState: 'Killed' }, 'n1'), want: 'none' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(orphanAction(c.t, uid), c.want));

  it('expires events past their TTL, and the oldest past the cap', () => {
    const now = 1_000_000;
    const ev = (ageS: number) => ({ ageS });
    const at = (e: { ageS: number }) => now - e.ageS * 1000;
    const all = [ev(10), ev(4000), ev(30), ev(20), ev(3601)];
    assert.deepEqual(eventsToExpire(all, at, now, 3600_000, 10).map((e) => e.ageS), [4000, 3601]);
    assert.deepEqual(eventsToExpire(all, at, now, 3600_000, 2).map((e) => e.ageS).sort((a, b) => a - b), [30, 3601, 4000]);
  });
});
