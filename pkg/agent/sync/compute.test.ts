import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compute, exitPatch, oomCorrection, type Action, type DesiredTask } from './compute.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import type { Task, TaskState, TaskStatus } from '../../api/types.js';

const task = (desiredState?: 'Running' | 'Killed'): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: 't', namespace: 'default', uid: 'u1' },
  spec: { image: 'img', resources: { cpus: 0.1, mem: 32, disk: 0 }, ...(desiredState ? { desiredState } : {}) },
});
const want = (state: TaskState, opts: { assigned?: boolean; kill?: boolean; containerId?: string; drainLeftMs?: number } = {}): DesiredTask => ({
  uid: 'u1',
  task: task(opts.kill ? 'Killed' : undefined),
  status: { state, ...(opts.containerId ? { containerId: opts.containerId } : {}) },
  assigned: opts.assigned ?? true,
  ...(opts.drainLeftMs !== undefined ? { drainLeftMs: opts.drainLeftMs } : {}),
});
const c = (id: string, phase: ContainerInfo['phase'], startedAt = '2026-01-01T00:00:00Z'): ContainerInfo => ({
  id,
  taskUid: 'u1',
  taskRef: 'default/t',
  phase,
  startedAt,
});

describe('compute: desired task + observed containers -> actions', () => {
  const table: [string, DesiredTask | undefined, ContainerInfo[], Action[]][] = [
    ['bound, nothing runs: start', want('Bound'), [], [{ kind: 'start' }]],
    ['starting (agent died mid-create), nothing runs: start', want('Starting'), [], [{ kind: 'start' }]],
    ['bound, container runs (agent restarted): adopt', want('Bound'), [c('a', 'running')], [{ kind: 'adopt', id: 'a' }]],
    ['running with that container: nothing', want('Running', { containerId: 'a' }), [c('a', 'running')], []],
    ['running, status names another container: adopt', want('Running', { containerId: 'b' }), [c('a', 'running')], [{ kind: 'adopt', id: 'a' }]],
    ['running, container exited: report its exit', want('Running', { containerId: 'a' }), [c('a', 'exited')], [{ kind: 'report', id: 'a' }]],
    ['running, container vanished: report missing, no restart', want('Running', { containerId: 'a' }), [], [{ kind: 'reportMissing', id: 'a' }]],
    ['created but never started: remove and start anew', want('Starting'), [c('a', 'created')], [{ kind: 'remove', id: 'a', running: false }, { kind: 'start' }]],
    ['terminal, nothing runs: never restart', want('Failed'), [], []],
    ['terminal, exited container kept for logs', want('Succeeded', { containerId: 'a' }), [c('a', 'exited')], []],
    ['terminal but still running: stop it quietly', want('Killed', { containerId: 'a' }), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: false, report: false }]],
    ['assignment deleted, running: kill, remove, report Killed', want('Running', { assigned: false }), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: true, report: true }]],
    ['assignment deleted, terminal and exited: just remove', want('Failed', { assigned: false }), [c('a', 'exited')], [{ kind: 'remove', id: 'a', running: false }]],
    ['assignment deleted, exited unreported: report then remove', want('Running', { assigned: false }), [c('a', 'exited')], [{ kind: 'report', id: 'a' }, { kind: 'remove', id: 'a', running: false }]],
    ['assignment deleted before start: report Killed', want('Bound', { assigned: false }), [], [{ kind: 'reportKilled' }]],
    ['assignment deleted, already terminal, nothing left: nothing', want('Lost', { assigned: false }), [], []],
    ['desiredState Killed: kill, keep the container while assigned', want('Running', { kill: true }), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: false, report: true }]],
    ['drained kill, drain not over: the container runs on, look again then', want('Running', { kill: true, drainLeftMs: 1500 }), [c('a', 'running')], [{ kind: 'drain', id: 'a', ms: 1500 }]],
    ['drained kill, drain over: kill', want('Running', { kill: true, drainLeftMs: 0 }), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: false, report: true }]],
    ['drained kill, container exited meanwhile: report how', want('Running', { kill: true, drainLeftMs: 1500 }), [c('a', 'exited')], [{ kind: 'report', id: 'a' }]],
    ['drain, but the assignment went: kill now', want('Running', { kill: true, assigned: false, drainLeftMs: 1500 }), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: true, report: true }]],
    ['drain, but someone set Lost: kill now', want('Lost', { kill: true, drainLeftMs: 1500 }), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: true, report: false }]],
    ['desiredState Killed before start: report Killed, start nothing', want('Bound', { kill: true }), [], [{ kind: 'reportKilled' }]],
    ['someone set Lost: kill and remove, no report', want('Lost'), [c('a', 'running')], [{ kind: 'kill', id: 'a', remove: true, report: false }]],
    ['no task claims the uid: remove running and exited', undefined, [c('a', 'running'), c('b', 'exited')], [{ kind: 'remove', id: 'a', running: true }, { kind: 'remove', id: 'b', running: false }]],
    [
      'two containers of one task: keep the running one',
      want('Running', { containerId: 'b' }),
      [c('a', 'exited', '2026-01-02T00:00:00Z'), c('b', 'running')],
      [{ kind: 'remove', id: 'a', running: false }],
    ],
    [
      'two exited: keep the one the status names',
      want('Running', { containerId: 'a' }),
      [c('a', 'exited'), c('b', 'exited', '2026-01-02T00:00:00Z')],
      [{ kind: 'remove', id: 'b', running: false }, { kind: 'report', id: 'a' }],
    ],
  ];
  for (const [name, d, cs, expected] of table) {
    it(name, () => assert.deepEqual(compute(d, cs), expected));
  }
});

describe('exitPatch', () => {
  const now = new Date('2026-01-01T00:00:10Z');
  it('exit 0 is Succeeded', () => {
    const p = exitPatch({ ...c('a', 'exited'), exitCode: 0, finishedAt: '2026-01-01T00:00:05Z' }, 32, now);
    assert.equal(p.state, 'Succeeded');
    assert.equal(p.exitCode, 0);
    assert.equal(p.finishedAt, '2026-01-01T00:00:05Z');
  });
  it('a non-zero exit is Failed with reason Error and the signal named', () => {
    const p = exitPatch({ ...c('a', 'exited'), exitCode: 137 }, 32, now);
    assert.deepEqual([p.state, p.reason, p.exitCode, p.message], ['Failed', 'Error', 137, 'exited with code 137 (signal 9, SIGKILL)']);
    assert.equal(p.finishedAt, now.toISOString());
  });
  it('out of memory is Failed with reason OOMKilled', () => {
    const p = exitPatch({ ...c('a', 'exited'), exitCode: 137, oomKilled: true }, 32, now);
    assert.deepEqual([p.state, p.reason, p.message], ['Failed', 'OOMKilled', 'killed by the kernel: out of memory (limit of 32 MiB)']);
  });
  it('stopped by the agent is Killed', () => {
    const p = exitPatch({ ...c('a', 'exited'), exitCode: 143, killed: true }, 32, now);
    assert.deepEqual([p.state, p.reason, p.exitCode], ['Killed', 'Killed', 143]);
  });
});

describe('a late oom event corrects an exit already reported', () => {
  // Docker may handle a container's OOM after its exit: the exit was reported Error 137, then 'oom' arrives.
  const reported: TaskStatus = { state: 'Failed', reason: 'Error', exitCode: 137, message: 'exited with code 137 (signal 9, SIGKILL)', containerId: 'a' };
  const oomed = { ...c('a', 'exited'), exitCode: 137, oomKilled: true };
  const corrected = { reason: 'OOMKilled', message: 'killed by the kernel: out of memory (limit of 32 MiB)' };

  it('oomCorrection: Error 137 of the OOM-killed container becomes OOMKilled, state and code kept', () => {
    assert.deepEqual(oomCorrection(reported, oomed, 32), corrected);
    assert.deepEqual(oomCorrection(reported, oomed, undefined)?.message, 'killed by the kernel: out of memory (limit)');
  });
  const none: [string, TaskStatus, ContainerInfo | undefined][] = [
    ['no OOM seen (a docker kill is exit 137 too)', reported, { ...oomed, oomKilled: false }],
    ['already OOMKilled', { ...reported, ...corrected }, oomed],
    ['another exit code', { ...reported, exitCode: 1 }, oomed],
    ['another reason', { ...reported, reason: 'ContainerMissing' }, oomed],
    ['not Failed', { ...reported, state: 'Killed', reason: 'Killed' }, oomed],
    ['the status names another container', { ...reported, containerId: 'b' }, oomed],
    ['no container', reported, undefined],
  ];
  for (const [name, status, cont] of none) it(`oomCorrection: nothing when ${name}`, () => assert.equal(oomCorrection(status, cont, 32), undefined));

  const d = (status: TaskStatus, assigned = true): DesiredTask => ({ uid: 'u1', task: task(), status, assigned });
  it('compute: reported Error 137, the container now known OOM-killed: correct it, nothing else', () => {
    assert.deepEqual(compute(d(reported), [oomed]), [{ kind: 'lateOOM', id: 'a', patch: corrected }]);
  });
  it('compute: corrected once, nothing more', () => {
    assert.deepEqual(compute(d({ ...reported, ...corrected }), [oomed]), []);
  });
  it('compute: the assignment went meanwhile: correct, then remove', () => {
    assert.deepEqual(compute(d(reported, false), [oomed]), [
      { kind: 'lateOOM', id: 'a', patch: corrected },
      { kind: 'remove', id: 'a', running: false },
    ]);
  });
  it('compute: a docker kill (exit 137, no OOM) stays Error', () => {
    assert.deepEqual(compute(d(reported), [{ ...oomed, oomKilled: undefined }]), []);
  });
});
