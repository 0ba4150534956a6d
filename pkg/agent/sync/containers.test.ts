/** The node sync's container cache: events, its own news and re-lists that race them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo } from '../runtime/runtime.js';
import { ObservedContainers } from './containers.js';

const c = (id: string, taskUid: string, extra: Partial<ContainerInfo> = {}): ContainerInfo => ({ id, taskUid, taskRef: `default/${taskUid}`, phase: 'running', ...extra });

/** A list call that answers when the test says so. */
function pendingList(): { list: () => Promise<ContainerInfo[]>; answer: (cs: ContainerInfo[]) => void } {
  let answer!: (cs: ContainerInfo[]) => void;
  const p = new Promise<ContainerInfo[]>((r) => (answer = r));
  return { list: () => p, answer };
}

const phases = (k: ObservedContainers, uid: string) => k.of(uid).map((x) => `${x.id}:${x.phase}`).sort();

describe('ObservedContainers', () => {
  it('follows engine events: start, die with its code, oom, destroy', () => {
    const k = new ObservedContainers();
    k.observe({ id: 'c1', taskUid: 'u1', type: 'start', time: 't1' });
    assert.deepEqual([k.get('c1')?.phase, k.get('c1')?.startedAt], ['running', 't1']);
    k.observe({ id: 'c1', taskUid: 'u1', type: 'oom', time: 't2' });
    k.observe({ id: 'c1', taskUid: 'u1', type: 'die', exitCode: 137, time: 't3' });
    const dead = k.get('c1')!;
    assert.deepEqual([dead.phase, dead.exitCode, dead.oomKilled, dead.startedAt, dead.finishedAt], ['exited', 137, true, 't1', 't3']);
    k.observe({ id: 'c1', taskUid: 'u1', type: 'destroy', time: 't4' });
    assert.equal(k.get('c1'), undefined);
    assert.equal(k.count('u1'), 0);
    assert.deepEqual([...k.uids()], [], 'a uid without containers is forgotten');
  });

  it('put merges over what is known', () => {
    const k = new ObservedContainers();
    k.put(c('c1', 'u1', { startedAt: 't1' }));
    k.put({ ...c('c1', 'u1'), phase: 'exited', exitCode: 0 });
    assert.deepEqual([k.get('c1')?.phase, k.get('c1')?.exitCode, k.get('c1')?.startedAt], ['exited', 0, 't1']);
  });

  it("an 'oom' seen stays: neither an inspect nor a re-list that does not say it clears it", async () => {
    // Docker may handle the OOM after the exit; then its inspect keeps OOMKilled false for good.
    const k = new ObservedContainers();
    k.observe({ id: 'c1', taskUid: 'u1', type: 'die', exitCode: 137, time: 't1' });
    k.observe({ id: 'c1', taskUid: 'u1', type: 'oom', time: 't2' });
    k.put(c('c1', 'u1', { phase: 'exited', exitCode: 137, oomKilled: false }));
    assert.equal(k.get('c1')?.oomKilled, true, 'after an inspect');
    await k.relist(async () => [c('c1', 'u1', { phase: 'exited', exitCode: 137, oomKilled: false })]);
    assert.equal(k.get('c1')?.oomKilled, true, 'after a re-list');
  });

  it('a re-list merges what is listed and forgets what is not', async () => {
    const k = new ObservedContainers();
    k.put(c('old', 'u1'));
    k.put(c('keep', 'u2', { startedAt: 't0' }));
    const n = await k.relist(async () => [c('keep', 'u2', { phase: 'exited', exitCode: 1 }), c('new', 'u3')]);
    assert.equal(n, 2);
    assert.equal(k.get('old'), undefined);
    assert.deepEqual([k.get('keep')?.phase, k.get('keep')?.exitCode, k.get('keep')?.startedAt], ['exited', 1, 't0']);
    assert.deepEqual([...k.uids()].sort(), ['u2', 'u3']);
  });

  it('news that arrives while a list is on its way wins over the older list', async () => {
    const k = new ObservedContainers();
    k.put(c('dies', 'u1'));
    const l = pendingList();
    const done = k.relist(l.list);
    // while the engine answers the list: one container dies, one is started
    k.observe({ id: 'dies', taskUid: 'u1', type: 'die', exitCode: 2, time: 't1' });
    k.put(c('started', 'u2'));
    l.answer([c('dies', 'u1')]); // the list was taken before both
    await done;
    assert.deepEqual(phases(k, 'u1'), ['dies:exited'], 'the older list does not bring the dead container back to life');
    assert.equal(k.get('dies')?.exitCode, 2);
    assert.deepEqual(phases(k, 'u2'), ['started:running'], 'a container started during the list is not forgotten');
  });

  it('the output container: the one named if the task has it, else the newest started', () => {
    const k = new ObservedContainers();
    k.put(c('a', 'u1', { startedAt: '2026-01-01T00:00:01Z' }));
    k.put(c('b', 'u1', { startedAt: '2026-01-01T00:00:02Z' }));
    k.put(c('x', 'u2'));
    assert.equal(k.outputOf('u1'), 'b');
    assert.equal(k.outputOf('u1', 'a'), 'a');
    assert.equal(k.outputOf('u1', 'x'), 'b', 'a container of another task is not named');
    assert.equal(k.outputOf('u9'), undefined);
  });
});
