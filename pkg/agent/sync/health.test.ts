import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { checkPort, fold, TaskHealth } from './health.js';
import { FakeRuntime } from './fake-runtime.js';
import type { StatusPatch } from './status-writer.js';
import type { HealthCheck, Task } from '../../api/types.js';
import { nopLogger } from '../../log/logger.js';
import { MemoryRecorder } from '../../events/recorder.js';

const fast = { gracePeriodSeconds: 0, intervalSeconds: 0.05, timeoutSeconds: 0.5, maxConsecutiveFailures: 2 };
const task = (checks: HealthCheck[], ports: Record<string, number> = {}): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: 'h', namespace: 'default', uid: 'u' },
  spec: { image: 'img', resources: { cpus: 0.1, mem: 32, disk: 0 }, ports: Object.keys(ports).map((name) => ({ name })), healthChecks: checks },
  status: { state: 'Running', ports },
});

const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('health check ports and folding', () => {
  const t = task([], { http: 31001, admin: 31002 });
  it('finds the port by name, by index string, by portIndex', () => {
    assert.equal(checkPort(t, { protocol: 'HTTP', port: 'admin', ...fast }), 31002);
    assert.equal(checkPort(t, { protocol: 'HTTP', port: '1', ...fast }), 31002);
    assert.equal(checkPort(t, { protocol: 'TCP', portIndex: 0, ...fast }), 31001);
    assert.equal(checkPort(t, { protocol: 'TCP', ...fast }), 31001);
    assert.equal(checkPort(t, { protocol: 'TCP', port: 'nope', ...fast }), undefined);
  });
  it('is healthy only when every check is, unhealthy when any is', () => {
    const s = (health: 'Healthy' | 'Unhealthy' | 'Unknown') => ({ health, consecutiveFailures: 0, shouldKill: false });
    assert.equal(fold([s('Healthy'), s('Healthy')]), 'Healthy');
    assert.equal(fold([s('Healthy'), s('Unknown')]), 'Unknown');
    assert.equal(fold([s('Healthy'), s('Unhealthy')]), 'Unhealthy');
    assert.equal(fold([]), 'Unknown');
  });
});

describe('TaskHealth', () => {
  it('turns Healthy on HTTP 200, Unhealthy after the server stops, writing only changes', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const patches: StatusPatch[] = [];
    const rec = new MemoryRecorder();
    const h = new TaskHealth({ runtime: new FakeRuntime(), writer: { update: (_u, p) => patches.push(p) }, log: nopLogger, recorder: rec });
    const t = task([{ protocol: 'HTTP', port: 'http', path: '/', ...fast }], { http: port });
    h.ensure('u', 'c1', t, { ...t.status!, startedAt: new Date().toISOString() });
    await until(() => patches.some((p) => p.health === 'Healthy'));
    assert.ok(patches[0]!.healthyAt);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(patches.length, 1, 'a steady healthy task is not written again');
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await until(() => patches.some((p) => p.health === 'Unhealthy'));
    const bad = patches.find((p) => p.health === 'Unhealthy')!;
    assert.equal(bad.consecutiveFailures, 2);
    assert.match(bad.message!, /ECONNREFUSED/);
    assert.equal(rec.events.filter((e) => e.reason === 'Unhealthy').length, 1);
    h.stop('u');
  });

  it('runs COMMAND checks with exec in the container and stops on stop()', async () => {
    const rt = new FakeRuntime();
    const patches: StatusPatch[] = [];
    const h = new TaskHealth({ runtime: rt, writer: { update: (_u, p) => patches.push(p) }, log: nopLogger });
    const t = task([{ protocol: 'COMMAND', command: ['test', '-f', '/ok'], ...fast }]);
    h.ensure('u', 'c9', t, t.status!);
    await until(() => patches.some((p) => p.health === 'Healthy'));
    h.stop('u');
    const n = rt.calls.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(rt.calls.length, n, 'no probe after stop');
    assert.equal(rt.calls[0], 'exec c9 test -f /ok');
  });
});
