import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { TaskReadiness } from './readiness.js';
import { FakeRuntime } from './fake-runtime.js';
import type { StatusPatch } from './status-writer.js';
import type { ReadinessCheck, Task, TaskStatus } from '../../api/types.js';
import { nopLogger } from '../../log/logger.js';

const check = (over: Partial<ReadinessCheck> = {}): ReadinessCheck => ({
  protocol: 'HTTP',
  port: 'http',
  path: '/ready',
  intervalSeconds: 0.05,
  timeoutSeconds: 0.5, // above the interval, which only the API forbids: no flaky timeouts on a busy machine
  httpStatusCodesForReady: [200],
  ...over,
});
const task = (checks: ReadinessCheck[], port: number): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: 'r', namespace: 'default', uid: 'u' },
  spec: { image: 'img', resources: { cpus: 0.1, mem: 32, disk: 0 }, ports: [{ name: 'http' }], readinessChecks: checks },
  status: { state: 'Running', ports: { http: port }, ready: false },
});

const until = async (f: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An app that answers /ready with `code()`, counting the requests. */
async function app(code: () => number): Promise<{ server: Server; port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(req.url === '/ready' ? code() : 404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    port: (server.address() as { port: number }).port,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function readiness(rt = new FakeRuntime(), execOnly = false): { r: TaskReadiness; patches: StatusPatch[]; rt: FakeRuntime } {
  const patches: StatusPatch[] = [];
  return { r: new TaskReadiness({ runtime: rt, writer: { update: (_u, p) => patches.push(p) }, log: nopLogger, execOnly }), patches, rt };
}

describe('TaskReadiness', () => {
  it('not ready while the app answers 503, ready on 200, then never probes or writes again', async () => {
    let warm = false;
    const a = await app(() => (warm ? 200 : 503));
    const { r, patches } = readiness();
    const t = task([check()], a.port);
    const status: TaskStatus = { ...t.status!, startedAt: new Date().toISOString() };
    r.ensure('u', 'c1', t, status);
    await until(() => patches.length > 0);
    assert.deepEqual(patches[0], { ready: false, readinessMessage: `GET http://127.0.0.1:${a.port}/ready: HTTP 503` });
    await sleep(150);
    assert.equal(patches.length, 1, 'a steady answer is not written again');
    warm = true;
    await until(() => patches.some((p) => p.ready));
    const ok = patches.at(-1)!;
    assert.equal(ok.readinessMessage, `GET http://127.0.0.1:${a.port}/ready: HTTP 200`);
    assert.ok(ok.readyAt && Date.parse(ok.readyAt) <= Date.now());
    const hits = a.hits();
    const written = patches.length;
    warm = false;
    r.ensure('u', 'c1', t, { ...status, ...ok }); // the agent reconciles again: same container
    await sleep(200);
    assert.equal(a.hits(), hits, 'no probe once ready');
    assert.equal(patches.length, written, 'ready stays ready');
    r.stop('u');
    await a.close();
  });

  it('takes only httpStatusCodesForReady as ready', async () => {
    const a = await app(() => 204);
    const { r, patches } = readiness();
    r.ensure('u', 'c1', task([check({ httpStatusCodesForReady: [204] })], a.port), { state: 'Running', ports: { http: a.port } });
    await until(() => patches.some((p) => p.ready));
    r.stop('u');
    const b = await app(() => 204);
    const other = readiness();
    other.r.ensure('u', 'c1', task([check()], b.port), { state: 'Running', ports: { http: b.port } });
    await until(() => other.patches.length > 0);
    assert.equal(other.patches[0]!.ready, false, '204 is not in the default [200]');
    other.r.stop('u');
    await Promise.all([a.close(), b.close()]);
  });

  it('does not probe a task whose status already says ready (an agent that restarted)', async () => {
    const a = await app(() => 200);
    const { r, patches } = readiness();
    const t = task([check()], a.port);
    r.ensure('u', 'c1', t, { ...t.status!, ready: true, readyAt: new Date().toISOString() });
    await sleep(150);
    assert.equal(a.hits(), 0);
    assert.deepEqual(patches, []);
    r.stop('u');
    await a.close();
  });

  it('stops probing on stop()', async () => {
    const a = await app(() => 503);
    const { r } = readiness();
    r.ensure('u', 'c1', task([check()], a.port), { state: 'Running', ports: { http: a.port } });
    await until(() => a.hits() > 0);
    r.stop('u');
    await sleep(30); // a probe in flight may still land
    const n = a.hits();
    await sleep(150);
    assert.equal(a.hits(), n, 'no probe after stop');
    await a.close();
  });

  it('a port the task does not have is a failed check that says so', async () => {
    const { r, patches } = readiness();
    r.ensure('u', 'c1', task([check({ port: 'admin' })], 1), { state: 'Running', ports: { http: 1 } });
    await until(() => patches.length > 0);
    assert.deepEqual(patches[0], { ready: false, readinessMessage: 'readiness check port admin is not among the task\'s ports' });
    r.stop('u');
  });

  it('hollow nodes: the check is an exec in the container', async () => {
    const { r, patches, rt } = readiness(new FakeRuntime(), true);
    r.ensure('u', 'c9', task([check()], 1), { state: 'Running', ports: { http: 1 } });
    await until(() => patches.some((p) => p.ready));
    r.stop('u');
    assert.deepEqual(rt.calls, ['exec c9 true']);
  });
});
