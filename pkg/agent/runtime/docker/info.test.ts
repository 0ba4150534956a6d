import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { phaseOf, toContainerInfo, type InspectLike } from './info.js';

const inspect = (state: Partial<InspectLike['State']>, name = '/stowage-default-a-12345678'): InspectLike => ({
  Id: 'abc',
  Name: name,
  Config: { Labels: { 'stowage.task': 'uid-1', 'stowage.node': 'n1', 'stowage.name': 'default/a' } },
  State: { Status: 'running', ExitCode: 0, OOMKilled: false, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', Error: '', ...state },
});

describe('toContainerInfo', () => {
  it('running: no exit fields, zero times dropped', () => {
    assert.deepEqual(toContainerInfo(inspect({ StartedAt: '2026-01-01T00:00:00.5Z' }), false), {
      id: 'abc',
      taskUid: 'uid-1',
      taskRef: 'default/a',
      phase: 'running',
      startedAt: '2026-01-01T00:00:00.5Z',
    });
  });

  it('exited by OOM', () => {
    const c = toContainerInfo(inspect({ Status: 'exited', ExitCode: 137, OOMKilled: true, StartedAt: '2026-01-01T00:00:00Z', FinishedAt: '2026-01-01T00:00:01Z' }), false);
    assert.deepEqual([c.phase, c.exitCode, c.oomKilled, c.finishedAt, c.killed], ['exited', 137, true, '2026-01-01T00:00:01Z', undefined]);
  });

  it('killed when stopped by this process or renamed *.killed by an earlier one', () => {
    assert.equal(toContainerInfo(inspect({ Status: 'exited', ExitCode: 143 }), true).killed, true);
    assert.equal(toContainerInfo(inspect({ Status: 'exited', ExitCode: 143 }, '/stowage-default-a-12345678.killed'), false).killed, true);
  });

  it('a start failure keeps the engine message', () => {
    const c = toContainerInfo(inspect({ Status: 'created', ExitCode: 127, Error: 'exec: "nope": executable file not found in $PATH' }), false);
    assert.equal(c.phase, 'created');
    assert.match(c.error ?? '', /executable file not found/);
  });

  it('phases', () => {
    assert.deepEqual(['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing'].map(phaseOf), [
      'created', 'running', 'running', 'running', 'exited', 'exited', 'exited',
    ]);
  });
});
