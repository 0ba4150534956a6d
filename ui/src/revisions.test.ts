import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Service, Task } from '../../pkg/api/types.js';
import { revisionBars } from './revisions.js';

const service = (over: Partial<Service['status']> = {}, restartedAt?: string) =>
  ({
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { instances: 3, ...(restartedAt ? { restartedAt } : {}) },
    status: {
      instances: 3, running: 0, healthy: 0,
      revisions: [{ revision: 1, hash: 'h1' }, { revision: 2, hash: 'h2' }],
      deployment: { state: 'progressing', revision: 2, instances: 3 },
      ...over,
    },
  }) as unknown as Service;

let n = 0;
const task = (hash: string, state: string, o: { health?: string; checks?: boolean; readiness?: boolean; ready?: boolean; killed?: boolean; created?: string } = {}) =>
  ({
    metadata: { name: `t${n++}`, namespace: 'default', creationTimestamp: o.created ?? '2026-01-01T00:00:10Z' },
    spec: { templateHash: hash, ...(o.checks ? { healthChecks: [{}] } : {}), ...(o.readiness ? { readinessChecks: [{}] } : {}), ...(o.killed ? { desiredState: 'Killed' } : {}) },
    status: { state, ...(o.health ? { health: o.health } : {}), ...(o.ready !== undefined ? { ready: o.ready } : {}) },
  }) as unknown as Task;

describe('revisionBars', () => {
  it('during a rollout: the new revision against the deployment\'s instances, the old one against 0', () => {
    const bars = revisionBars(service(), [
      task('h1', 'Running'),
      task('h1', 'Running'),
      task('h1', 'Running', { killed: true }),
      task('h2', 'Running', { checks: true, health: 'Healthy' }),
      task('h2', 'Running', { checks: true, health: 'Unknown' }),
      task('h2', 'Starting'),
      task('h2', 'Failed'),
    ]);
    assert.deepEqual(bars, [
      { revision: 2, current: true, beforeRestart: false, target: 3, tasks: 3, running: 2, healthy: 1, ready: 1, stopping: 0 },
      { revision: 1, current: false, beforeRestart: false, target: 0, tasks: 3, running: 2, healthy: 2, ready: 2, stopping: 1 },
    ]);
  });
  it('readiness: healthy is not ready until the check passed', () => {
    const [cur] = revisionBars(service(), [task('h2', 'Running', { readiness: true, ready: false }), task('h2', 'Running', { readiness: true, ready: true })]);
    assert.deepEqual([cur!.running, cur!.healthy, cur!.ready], [2, 2, 1]);
  });
  it('a restart: tasks of the same template created before it are the ones replaced', () => {
    const bars = revisionBars(service({}, '2026-01-01T00:01:00Z'), [task('h2', 'Running', { created: '2026-01-01T00:00:00Z' }), task('h2', 'Running', { created: '2026-01-01T00:02:00Z' })]);
    assert.deepEqual(bars.map((b) => [b.revision, b.current, b.beforeRestart, b.target, b.running]), [[2, true, false, 3, 1], [2, false, true, 0, 1]]);
  });
  it('the current revision has a bar before its first task', () => {
    assert.deepEqual(revisionBars(service(), []).map((b) => [b.revision, b.tasks]), [[2, 0]]);
  });
});
