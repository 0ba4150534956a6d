/**
 * The services loop against real etcd (the test plays scheduler and agent):
 * a kill it makes drains — the task's spec gets desiredState Killed with the
 * service's drainSeconds, and its assignment is rewritten with that spec so
 * the agent sees it (drainSeconds 0: the assignment goes at once, as every
 * other loop's kill) — and a task of a service with dependencies is created
 * with each dependency's service port address in its environment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Service, Task } from '../../pkg/api/types.js';
import { assignmentKey } from '../../pkg/store/keys.js';
import type { Stored } from '../../pkg/store/store.js';
import { call } from '../helpers/http.js';
import { useServicesLoop } from '../helpers/services-loop.js';
import { until } from '../helpers/wait.js';

const TASK = lookupKind('Task')!;
const SERVICE = lookupKind('Service')!;

describe('services loop: drained kills, dependency addresses (real etcd)', () => {
  const loop = useServicesLoop();

  const apply = async (name: string, spec: Record<string, unknown>) => {
    const r = await call(loop.url, 'POST', '/api/v1/apply', { items: [{ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name }, spec: { image: 'img', resources: { cpus: 0.1, mem: 16 }, ...spec } }] });
    assert.equal(r.status, 200, r.text);
  };
  const tasksOf = async (name: string): Promise<Stored<Task>[]> =>
    (await loop.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.metadata.labels?.['stowage/owner'] === `service/${name}`);

  /** Bind and run every pending task of a service on n1, as the scheduler and agent would (assignment included). */
  async function runAll(name: string): Promise<void> {
    for (const t of await tasksOf(name)) {
      if (t.object.status?.state !== 'Pending') continue;
      const status = { state: 'Running' as const, nodeName: 'n1', ports: { http: 31000 }, startedAt: new Date().toISOString() };
      const m = t.object.metadata;
      const r = await loop.store
        .txn()
        .ifModRev(`/stowage/status/tasks/default/${m.name}`, t.statusRev)
        .put(`/stowage/status/tasks/default/${m.name}`, JSON.stringify(status))
        .put(assignmentKey('n1', 'default', m.name), JSON.stringify({ ...t.object, status }))
        .commit();
      assert.ok(r.succeeded);
    }
  }
  const assignment = async (task: string): Promise<Task | undefined> => {
    const v = await loop.client.get(assignmentKey('n1', 'default', task)).string();
    return v ? (JSON.parse(v) as Task) : undefined;
  };

  it("creates tasks with <DEP>_<PORT>_ADDR of each dependency's service ports, the task's own env winning", async () => {
    await apply('db-main', { ports: [{ name: 'sql', servicePort: 10432 }, { name: 'metrics' }] });
    await until('db task', async () => (await tasksOf('db-main')).length === 1);
    await runAll('db-main');
    await apply('app', { instances: 2, dependencies: ['db-main'], env: { MODE: 'x', DB_MAIN_METRICS_ADDR: 'mine' }, ports: [{ name: 'http' }] });
    const ts = await until('2 app tasks', async () => {
      const l = await tasksOf('app');
      return l.length === 2 && l;
    });
    for (const t of ts) assert.deepEqual(t.object.spec.env, { DB_MAIN_SQL_ADDR: '127.0.0.1:10432', MODE: 'x', DB_MAIN_METRICS_ADDR: 'mine' });
    // the template (and so its hash) is the service's own: the environment is added per task
    const svc = (await loop.store.get<Service>(SERVICE, 'default', 'app'))!.object;
    assert.deepEqual(svc.status?.revisions?.at(-1)?.template.env, { MODE: 'x', DB_MAIN_METRICS_ADDR: 'mine' });
  });

  it('a scale-down kill drains: desiredState Killed with drainSeconds, on the spec and through the assignment; the task still counts as terminating', async () => {
    await apply('web', { instances: 3, drainSeconds: 3, ports: [{ name: 'http', servicePort: 0 }] });
    await until('3 web tasks', async () => (await tasksOf('web')).length === 3);
    await runAll('web');
    await until('web running 3', async () => (await loop.store.get<Service>(SERVICE, 'default', 'web'))?.object.status?.running === 3);
    loop.recorder.events.length = 0;
    await apply('web', { instances: 2, drainSeconds: 3, ports: [{ name: 'http', servicePort: 0 }] });
    const killed = await until('a killed task', async () => (await tasksOf('web')).find((t) => t.object.spec.desiredState === 'Killed'));
    assert.equal(killed.object.spec.drainSeconds, 3);
    const a = await assignment(killed.object.metadata.name);
    assert.ok(a, 'the assignment stays, rewritten');
    assert.equal(a.spec.desiredState, 'Killed');
    assert.equal(a.spec.drainSeconds, 3);
    assert.equal(a.status, undefined, 'without a status: the agent keeps the one it tracks');
    const ev = loop.recorder.events.find((e) => e.reason === 'Killing');
    assert.match(ev?.message ?? '', /^stopping task web-\w+: surplus: 2 instance\(s\) wanted; out of endpoints now, draining 3s before its container is stopped$/);
    const st = await until('terminating 1', async () => {
      const s = (await loop.store.get<Service>(SERVICE, 'default', 'web'))!.object.status;
      return s?.terminating === 1 && s;
    });
    assert.equal(st.running, 2);
  });

  it('drainSeconds 0: the kill withdraws the assignment at once', async () => {
    await apply('nodrain', { instances: 2, drainSeconds: 0 });
    await until('2 tasks', async () => (await tasksOf('nodrain')).length === 2);
    await runAll('nodrain');
    await until('running 2', async () => (await loop.store.get<Service>(SERVICE, 'default', 'nodrain'))?.object.status?.running === 2);
    await apply('nodrain', { instances: 1, drainSeconds: 0 });
    const killed = await until('a killed task', async () => (await tasksOf('nodrain')).find((t) => t.object.spec.desiredState === 'Killed'));
    assert.equal(killed.object.spec.drainSeconds, undefined);
    assert.equal(await assignment(killed.object.metadata.name), undefined);
  });
});
