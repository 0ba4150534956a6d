/**
 * Restarting a service, against real etcd with the services loop in process
 * (no agents): the restart endpoint sets spec.restartedAt from the server's
 * clock; user writes (create, update, apply) never set or clear it; the loop
 * replaces every task created before it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Service, Task } from '../../pkg/api/types.js';
import { call } from '../helpers/http.js';
import { useServicesLoop } from '../helpers/services-loop.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;
const TASK = lookupKind('Task')!;

const svc = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances: 2, image: 'img', command: ['run'], resources: { cpus: 0.1, mem: 16, disk: 0 }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, ...extra },
});

describe('service restart (real etcd)', () => {
  const loop = useServicesLoop();

  const stored = async (name: string) => (await loop.store.get<Service>(SERVICE, 'default', name))!.object;
  const tasks = async (name: string) =>
    (await loop.store.list<Task>(TASK, 'default')).items.map((t) => t.object).filter((t) => t.metadata.labels?.['stowage/owner'] === `service/${name}`);

  it('a user cannot set restartedAt: create and apply drop it', async () => {
    const c = await call(loop.url, 'POST', '/api/v1/services', svc('mine', { restartedAt: '2030-01-01T00:00:00Z' }));
    assert.equal(c.status, 201, c.text);
    assert.equal((await stored('mine')).spec.restartedAt, undefined);
    const a = await call(loop.url, 'POST', '/api/v1/apply', { items: [svc('mine2', { restartedAt: '2030-01-01T00:00:00Z' })] });
    assert.equal(a.status, 200, a.text);
    assert.equal((await stored('mine2')).spec.restartedAt, undefined);
  });

  it('restart: the server sets restartedAt; apply and update keep it; the loop replaces every older task', async () => {
    assert.equal((await call(loop.url, 'POST', '/api/v1/services', svc('web'))).status, 201);
    const first = await until('two tasks', async () => ((await tasks('web')).length === 2 ? tasks('web') : undefined));
    const t0 = Date.now();
    const r = await call(loop.url, 'POST', '/api/v1/services/default/web/restart', {});
    assert.equal(r.status, 200, r.text);
    const at = Date.parse(r.json.spec.restartedAt);
    assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `restartedAt ${r.json.spec.restartedAt} is the server's now`);
    assert.equal(r.json.metadata.generation, 2);

    // the same YAML again: unchanged, restartedAt kept; an update that sends another value keeps the stored one
    const again = await call(loop.url, 'POST', '/api/v1/apply', { items: [svc('web')] });
    assert.deepEqual(again.json.results.map((i: { action: string }) => i.action), ['unchanged']);
    const cur = await stored('web');
    const put = await call(loop.url, 'PUT', '/api/v1/services/default/web', { ...svc('web', { restartedAt: '2001-01-01T00:00:00Z' }), metadata: cur.metadata });
    assert.equal(put.status, 200, put.text);
    assert.equal((await stored('web')).spec.restartedAt, r.json.spec.restartedAt);

    // no task of before the restart is left; two new ones stand
    const oldNames = new Set(first.map((t) => t.metadata.name));
    const now = await until('every task replaced', async () => {
      const ts = await tasks('web');
      return ts.length === 2 && ts.every((t) => !oldNames.has(t.metadata.name)) ? ts : undefined;
    });
    for (const t of now) assert.ok(Date.parse(t.metadata.creationTimestamp!) >= at);
    const d = await until('the restart deployment', async () => (await stored('web')).status?.deployment?.restartedAt);
    assert.equal(d, r.json.spec.restartedAt);
  });

  it('restart of a missing service: 404', async () => {
    const r = await call(loop.url, 'POST', '/api/v1/services/default/nope/restart', {});
    assert.equal(r.status, 404);
    assert.match(r.json.message, /service "nope" not found/);
  });
});
