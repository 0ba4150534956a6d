/** `apply --wait` and `rollout status`: progress until complete, exit 1 on a failed deployment or the timeout. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceStatus } from '../../api/types.js';
import { sendJson, startFakeApi, stowctl, svc, type FakeApi } from '../testutil.js';
import { progressLine, progressOf } from './progress.js';

let api: FakeApi;
before(async () => (api = await startFakeApi()));
after(() => api.close());
beforeEach(() => api.reset());

/** Answer GETs of service/NAME with these statuses in turn (the last one sticks). */
function statuses(name: string, seq: Partial<ServiceStatus>[], generation = 1): void {
  let i = 0;
  api.handle((req, res) => {
    if (req.method !== 'GET' || req.path !== `/api/v1/services/default/${name}`) return false;
    const st = seq[Math.min(i++, seq.length - 1)];
    return sendJson(res, 200, svc(name, { metadata: { name, namespace: 'default', generation }, status: st }));
  });
}

test('progressOf: complete only with all healthy and the latest generation observed', () => {
  const s = (status: Partial<ServiceStatus>, generation = 2) => progressOf(svc('a', { metadata: { name: 'a', generation }, status }) as never);
  assert.equal(s({ healthy: 3, deployment: { state: 'complete', revision: 2 }, observedGeneration: 2 }).done, true);
  assert.equal(s({ healthy: 3, deployment: { state: 'complete', revision: 1 }, observedGeneration: 1 }).done, false, 'old generation');
  assert.equal(s({ healthy: 2, deployment: { state: 'complete', revision: 2 }, observedGeneration: 2 }).done, false, 'not all healthy');
  assert.equal(s({ healthy: 3, deployment: { state: 'complete', revision: 2 } }).done, true, 'no observedGeneration reported');
  assert.equal(s({ deployment: { state: 'failed', revision: 2 }, observedGeneration: 2 }).failed, true);
  assert.equal(s({ deployment: { state: 'failed', revision: 1 }, observedGeneration: 1 }).failed, false, 'an older failure');
});

test('progressLine: a service with a readiness check shows its ready tasks too', () => {
  const status = { instances: 3, running: 3, healthy: 3, ready: 1, deployment: { state: 'progressing' as const, revision: 2 } };
  const check = { protocol: 'HTTP', port: 'http', path: '/', intervalSeconds: 1, timeoutSeconds: 0.5, httpStatusCodesForReady: [200] };
  const withCheck = svc('web', { spec: { instances: 3, image: 'i', ports: [{ name: 'http' }], readinessChecks: [check] }, status });
  assert.equal(progressLine(progressOf(withCheck as never)), 'service/web: 3/3 healthy, 1 ready, 3 running, deployment progressing (revision 2)');
  assert.equal(progressLine(progressOf(svc('web', { status }) as never)), 'service/web: 3/3 healthy, 3 running, deployment progressing (revision 2)');
});

test('rollout status: a line per change until complete, then success', async () => {
  statuses('web', [
    { instances: 3, running: 1, healthy: 0, deployment: { state: 'progressing', revision: 2 } },
    { instances: 3, running: 3, healthy: 2, deployment: { state: 'progressing', revision: 2 } },
    { instances: 3, running: 3, healthy: 2, deployment: { state: 'progressing', revision: 2 } },
    { instances: 3, running: 3, healthy: 3, deployment: { state: 'complete', revision: 2 } },
  ]);
  const r = await stowctl(['--server', api.url, 'rollout', 'status', 'svc/web']);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    'service/web: 0/3 healthy, 1 running, deployment progressing (revision 2)\n' +
    'service/web: 2/3 healthy, 3 running, deployment progressing (revision 2)\n' +
    'service/web: rollout complete, 3/3 healthy (revision 2)\n' +
    'service/web successfully rolled out\n',
  );
});

test('a failed deployment: exit 1 with its message and conditions', async () => {
  statuses('web', [
    { instances: 3, running: 0, healthy: 0, deployment: { state: 'progressing', revision: 2 } },
    {
      instances: 3, running: 0, healthy: 0,
      deployment: { state: 'failed', revision: 2, message: 'no healthy instance within 600s' },
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'deadline passed' }],
    },
  ]);
  const r = await stowctl(['--server', api.url, 'rollout', 'status', 'service/web']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: rollout of service/web failed: no healthy instance within 600s\n  Progressing=False (ProgressDeadlineExceeded: deadline passed)\n');
});

test('the timeout: exit 1 naming where each service stood', async () => {
  statuses('web', [{ instances: 3, running: 3, healthy: 1, deployment: { state: 'progressing', revision: 4 } }]);
  let t = 0;
  const r = await stowctl(['--server', api.url, 'rollout', 'status', 'service/web', '--timeout', '2s'], {
    now: () => new Date(t),
    sleep: async (ms) => void (t += ms),
    pollMs: 500,
  });
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: timed out after 2s waiting for the rollout to complete\n  service/web: 1/3 healthy, 3 running, deployment progressing (revision 4)\n');
});

test('apply --wait waits for every applied service, not for other kinds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowctl-wait-'));
  const f = join(dir, 'app.yaml');
  writeFileSync(f, 'apiVersion: stowage/v1\nkind: Service\nmetadata: {name: web}\nspec: {instances: 3}\n---\napiVersion: stowage/v1\nkind: Job\nmetadata: {name: j}\nspec: {}\n');
  statuses('web', [
    { instances: 3, running: 3, healthy: 1, deployment: { state: 'progressing', revision: 1 } },
    { instances: 3, running: 3, healthy: 3, deployment: { state: 'complete', revision: 1 } },
  ]);
  const r = await stowctl(['--server', api.url, 'apply', '-f', f, '--wait', '--timeout', '1m']);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    'service/web created\njob/j created\n' +
    'service/web: 1/3 healthy, 3 running, deployment progressing (revision 1)\n' +
    'service/web: rollout complete, 3/3 healthy (revision 1)\n',
  );
});
