/**
 * The services loop's runner against a real etcd, with no agents: the test
 * plays scheduler and agent by writing task statuses itself (Pending ->
 * Running, desiredState Killed -> Killed, Failed when it says so), and
 * checks what the loop writes back: tasks with their owner, labels and
 * template; the Service status; kills and deletes; the rollback endpoint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../pkg/api/defaults.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { TERMINAL_STATES, type Service, type ServiceSpec, type Task, type TaskStatus } from '../../pkg/api/types.js';
import type { Stored } from '../../pkg/store/store.js';
import { useServicesLoop } from '../helpers/services-loop.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;
const TASK = lookupKind('Task')!;

const svc = (name: string, spec: Partial<ServiceSpec>): Service =>
  applyDefaults({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { image: 'img', command: ['v1'], resources: { cpus: 0.1, mem: 16, disk: 0 }, ...spec } } as Service);


describe('services loop (real etcd)', () => {
  const loop = useServicesLoop();

  const tasksOf = async (name: string): Promise<Stored<Task>[]> =>
    (await loop.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.metadata.labels?.['stowage/owner'] === `service/${name}`);
  const getSvc = async (name: string) => (await loop.store.get<Service>(SERVICE, 'default', name))!.object;
  const live = (ts: Stored<Task>[]) => ts.filter((t) => !TERMINAL_STATES.has(t.object.status?.state ?? 'Pending'));

  async function setStatus(t: Stored<Task>, patch: Partial<TaskStatus>): Promise<void> {
    const cur = (await loop.store.get<Task>(TASK, 'default', t.object.metadata.name))!;
    await loop.store.putStatus(TASK, 'default', t.object.metadata.name, { ...cur.object.status!, ...patch }, cur.statusRev).catch(() => undefined);
  }

  /** One sweep of a well-behaved cluster: kills end, pending tasks run (those `start` allows). */
  async function sweep(name: string, start: (t: Task) => boolean = () => true): Promise<void> {
    for (const t of await tasksOf(name)) {
      const st = t.object.status?.state ?? 'Pending';
      if (TERMINAL_STATES.has(st)) continue;
      if (t.object.spec.desiredState === 'Killed') await setStatus(t, { state: 'Killed', exitCode: 143, finishedAt: new Date().toISOString() });
      else if (st === 'Pending' && start(t.object)) await setStatus(t, { state: 'Running', nodeName: 'n1', startedAt: new Date().toISOString() });
    }
  }

  it('creates the instances as tasks of its template: owner, uid, labels, Pending; writes the status', async () => {
    const created = await loop.store.create(SERVICE, svc('web', { instances: 3, env: { A: '1' } }));
    const ts = await until('3 tasks', async () => {
      const l = await tasksOf('web');
      return l.length === 3 && l;
    });
    for (const t of ts) {
      const o = t.object;
      assert.match(o.metadata.name, /^web-[a-z0-9]{5}$/);
      assert.equal(o.spec.owner, 'service/web');
      assert.equal(o.spec.ownerUid, created.object.metadata.uid);
      assert.equal(o.metadata.labels?.['stowage/template-hash'], o.spec.templateHash);
      assert.equal(o.metadata.labels?.['stowage/revision'], '1');
      assert.deepEqual(o.spec.command, ['v1']);
      assert.deepEqual(o.spec.env, { A: '1' });
      assert.equal(o.status?.state, 'Pending');
    }
    const s = await until('status', async () => (await getSvc('web')).status?.deployment && getSvc('web'));
    assert.equal(s.status?.deployment?.state, 'progressing');
    assert.equal(s.status?.deployment?.revision, 1);
    assert.equal(s.status?.observedGeneration, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await tasksOf('web')).length, 3, 'no instance created twice');
  });

  it('complete once all run; a Failed task is recorded, deleted and replaced after the backoff', async () => {
    await sweep('web');
    await until('complete', async () => (await getSvc('web')).status?.deployment?.state === 'complete');
    const [victim] = await tasksOf('web');
    await setStatus(victim!, { state: 'Failed', exitCode: 2, reason: 'Error', message: 'boom', finishedAt: new Date().toISOString() });
    const t0 = Date.now();
    await until('the failed task deleted and a new one created', async () => {
      const l = await tasksOf('web');
      return !l.some((t) => t.object.metadata.name === victim!.object.metadata.name) && l.length === 3;
    });
    assert.ok(Date.now() - t0 >= 900, 'the first relaunch waits backoffSeconds (1 s)');
    const s = await getSvc('web');
    assert.equal(s.status?.lastFailures?.[0]?.task, victim!.object.metadata.name);
    assert.equal(s.status?.lastFailures?.[0]?.exitCode, 2);
    assert.equal(s.status?.lastFailures?.[0]?.message, 'boom');
    assert.equal(s.status?.backoff?.failures, 1);
    assert.ok(loop.recorder.events.some((e) => e.reason === 'TaskFailed' && e.message.includes(victim!.object.metadata.name)));
  });

  it('rolls a new template over within (1, 0.5): never more than 4 tasks, never fewer than 3 running', async () => {
    await sweep('web');
    await until('complete', async () => (await getSvc('web')).status?.healthy === 3);
    const cur = (await loop.store.get<Service>(SERVICE, 'default', 'web'))!;
    const next = structuredClone(cur.object);
    delete next.status;
    next.spec.command = ['v2'];
    next.spec.upgradeStrategy = { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 };
    await loop.store.update(SERVICE, next, cur, cur.specRev);
    let maxLive = 0;
    let minRunning = Infinity;
    await until('revision 2 complete', async () => {
      const l = await tasksOf('web');
      maxLive = Math.max(maxLive, live(l).length);
      minRunning = Math.min(minRunning, live(l).filter((t) => t.object.status?.state === 'Running' && t.object.spec.desiredState !== 'Killed').length);
      await sweep('web');
      const s = await getSvc('web');
      return s.status?.deployment?.revision === 2 && s.status.deployment.state === 'complete' && s.status.healthy === 3 && l.length === 3;
    }, 20_000);
    assert.ok(maxLive <= 4, `${maxLive} tasks at once`);
    assert.ok(minRunning >= 3, `${minRunning} running at one point`);
    for (const t of await tasksOf('web')) assert.deepEqual(t.object.spec.command, ['v2']);
  });

  it('POST rollback restores the previous template; errors name the problem', async () => {
    const res = await fetch(`${loop.url}/api/v1/services/default/web/rollback`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Service;
    assert.deepEqual(body.spec.command, ['v1']);
    assert.equal(body.metadata.generation, 3);
    await until('revision 3 (the v1 template) complete', async () => {
      await sweep('web');
      const s = await getSvc('web');
      return s.status?.deployment?.revision === 3 && s.status.deployment.state === 'complete' && (await tasksOf('web')).length === 3;
    }, 20_000);
    assert.deepEqual((await getSvc('web')).status?.revisions?.map((r) => r.revision), [2, 3]);
    const bad = await fetch(`${loop.url}/api/v1/services/default/web/rollback`, { method: 'POST', body: '{"revision": 9}' });
    assert.equal(bad.status, 404);
    assert.match(((await bad.json()) as { message: string }).message, /revision 9 of service\/web not found; known revisions: 2, 3/);
    const cur = await fetch(`${loop.url}/api/v1/services/default/web/rollback`, { method: 'POST', body: '{"revision": 3}' });
    assert.equal(cur.status, 400);
    const none = await fetch(`${loop.url}/api/v1/services/default/nope/rollback`, { method: 'POST', body: '{}' });
    assert.equal(none.status, 404);
  });

  it('an unhealthy task is replaced surge-first: the replacement runs healthy before the kill', async () => {
    await loop.store.create(SERVICE, svc('hc', { instances: 2, healthChecks: [{ protocol: 'TCP', portIndex: 0, gracePeriodSeconds: 1, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }] }));
    await until('2 tasks', async () => (await tasksOf('hc')).length === 2);
    await sweep('hc');
    for (const t of await tasksOf('hc')) await setStatus(t, { health: 'Healthy', healthyAt: new Date().toISOString() });
    await until('complete', async () => (await getSvc('hc')).status?.deployment?.state === 'complete');
    const [sick] = await tasksOf('hc');
    await setStatus(sick!, { health: 'Unhealthy', consecutiveFailures: 3, message: 'connection refused' });
    const repl = await until('a third task (the replacement)', async () => {
      const l = await tasksOf('hc');
      return l.length === 3 && l.find((t) => t.object.status?.state === 'Pending');
    });
    const mid = (await loop.store.get<Task>(TASK, 'default', sick!.object.metadata.name))!;
    assert.equal(mid.object.spec.desiredState, undefined, 'not killed before its replacement is ready');
    await sweep('hc');
    await setStatus(repl, { health: 'Healthy', healthyAt: new Date().toISOString() });
    await until('the unhealthy task killed', async () => (await loop.store.get<Task>(TASK, 'default', sick!.object.metadata.name))?.object.spec.desiredState === 'Killed');
    await sweep('hc');
    await until('2 healthy, the sick one gone', async () => {
      const l = await tasksOf('hc');
      return l.length === 2 && (await getSvc('hc')).status?.healthy === 2;
    });
    const s = await getSvc('hc');
    assert.equal(s.status?.lastFailures?.[0]?.state, 'Unhealthy');
    assert.equal(s.status?.healthKills?.length, 1);
  });

  it('creates 1,000 instances in batched transactions, exactly once; scale to 0 removes them', async () => {
    const t0 = Date.now();
    await loop.store.create(SERVICE, svc('big', { instances: 1000 }));
    await until('1000 tasks', async () => (await tasksOf('big')).length >= 1000, 20_000);
    const took = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await tasksOf('big')).length, 1000, 'not one more');
    assert.ok(took < 10_000, `${took} ms`);
    const cur = (await loop.store.get<Service>(SERVICE, 'default', 'big'))!;
    const next = structuredClone(cur.object);
    delete next.status;
    next.spec.instances = 0;
    await loop.store.update(SERVICE, next, cur, cur.specRev);
    await until('none left', async () => (await tasksOf('big')).length === 0, 20_000);
    await until('complete at 0', async () => (await getSvc('big')).status?.deployment?.state === 'complete');
  });

  it('a service waits for its dependency to be healthy', async () => {
    await loop.store.create(SERVICE, svc('app', { instances: 1, dependencies: ['db'] }));
    const s = await until('a status', async () => (await getSvc('app')).status);
    assert.equal((await tasksOf('app')).length, 0);
    assert.equal(s.conditions?.find((c) => c.type === 'DependenciesReady')?.message, 'service/db not found');
    await loop.store.create(SERVICE, svc('db', { instances: 1 }));
    await until('db task', async () => (await tasksOf('db')).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await tasksOf('app')).length, 0, 'db not healthy yet');
    await sweep('db');
    await until('the app started after db turned healthy', async () => (await tasksOf('app')).length === 1);
  });
});
