/**
 * The endpoints API against real etcd: the server's view follows tasks,
 * nodes and services through its informers; GET one, the list, and the
 * watch (one ADDED per service with ports, then a MODIFIED only when the
 * endpoints change: a task killed, unready, Unhealthy, on a NotReady node,
 * ready again; DELETED with the service). The test plays scheduler and
 * agent by writing task statuses itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../pkg/api/defaults.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Endpoints, Node, Service, Task, TaskStatus } from '../../pkg/api/types.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { InformerEndpointsView } from '../../pkg/server/endpoints/view.js';
import { ApiServer } from '../../pkg/server/http.js';
import { call } from '../helpers/http.js';
import { startEtcdStore, type EtcdStore } from '../helpers/etcd-store.js';
import { openSse, type SseStream } from '../helpers/sse.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;
const TASK = lookupKind('Task')!;
const NODE = lookupKind('Node')!;

describe('endpoints API (real etcd)', () => {
  let db: EtcdStore;
  let informers: InformerFactory;
  let api: ApiServer;
  let url: string;
  let web: Service;
  before(async () => {
    db = await startEtcdStore();
    informers = new InformerFactory(db.store, nopLogger);
    api = new ApiServer({ store: db.store, log: nopLogger, ready: () => ({ isLeader: false }), endpoints: () => InformerEndpointsView.start(informers, nopLogger) });
    url = `http://${await api.listen('127.0.0.1', 0)}`;
    for (const [name, address] of [['n1', '127.0.0.1:7001'], ['n2', '0.0.0.0:7002']] as const) {
      await db.store.create(NODE, { apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: { capacity: { cpus: 4, mem: 4096, disk: 0 }, portRanges: [], attributes: {}, address }, status: { state: 'Ready' } } as Node);
    }
    const r = await call(url, 'POST', '/api/v1/apply', {
      items: [
        { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'web' }, spec: { image: 'img', ports: [{ name: 'http', servicePort: 0 }, { name: 'admin' }], readinessChecks: [{ protocol: 'HTTP', port: 'http' }] } },
        { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'quiet' }, spec: { image: 'img' } },
        { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'other', namespace: 'prod' }, spec: { image: 'img', ports: [{ name: 'sql' }] } },
      ],
    });
    assert.equal(r.status, 200, r.text);
    web = (await db.store.get<Service>(SERVICE, 'default', 'web'))!.object;
  });
  after(async () => {
    await api.close();
    await informers.stop();
    db.stop();
  });

  /** A task of web as the scheduler and agent leave it: Running on `node`, ready. */
  async function runTask(name: string, node: string, port: number): Promise<void> {
    const t = applyDefaults({
      apiVersion: 'stowage/v1',
      kind: 'Task',
      metadata: { name, namespace: 'default', labels: { 'stowage/owner': 'service/web' } },
      spec: { image: 'img', ports: web.spec.ports, readinessChecks: web.spec.readinessChecks, owner: 'service/web', ownerUid: web.metadata.uid },
      status: { state: 'Running', nodeName: node, ports: { http: port, admin: port + 1 }, ready: true },
    } as unknown as Task);
    await db.store.create(TASK, t);
  }
  async function patchStatus<T extends Task | Node>(kind: typeof TASK, name: string, patch: Partial<T['status']>, ns?: string): Promise<void> {
    const cur = (await db.store.get<T>(kind, ns, name))!;
    await db.store.putStatus(kind, ns, name, { ...cur.object.status, ...patch }, cur.statusRev);
  }
  async function patchSpec(name: string, patch: Partial<Task['spec']>): Promise<void> {
    const cur = (await db.store.get<Task>(TASK, 'default', name))!;
    const next = { ...cur.object, spec: { ...cur.object.spec, ...patch } };
    delete next.status;
    await db.store.update(TASK, next, cur, cur.specRev);
  }
  const get = async (): Promise<Endpoints> => {
    const r = await call(url, 'GET', '/api/v1/services/default/web/endpoints');
    assert.equal(r.status, 200, r.text);
    return r.json as Endpoints;
  };
  const tasksIn = (e: Endpoints) => e.ports[0]!.addresses.map((a) => a.task);
  const last = (s: SseStream) => JSON.parse(s.events.at(-1)!.data) as Endpoints;

  it('GET: a service port with its ready instances; a service without ports has none; 404 for no service', async () => {
    await runTask('web-a', 'n1', 31000);
    await runTask('web-b', 'n2', 31010);
    const e = await until('2 endpoints', async () => {
      const x = await get();
      return x.ports[0]!.addresses.length === 2 && x;
    });
    assert.deepEqual(e, {
      apiVersion: 'stowage/v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      ports: [
        { name: 'http', servicePort: 10000, addresses: [{ host: '127.0.0.1', port: 31000, task: 'web-a', node: 'n1' }, { host: '127.0.0.1', port: 31010, task: 'web-b', node: 'n2' }] },
        { name: 'admin', addresses: [{ host: '127.0.0.1', port: 31001, task: 'web-a', node: 'n1' }, { host: '127.0.0.1', port: 31011, task: 'web-b', node: 'n2' }] },
      ],
    });
    assert.deepEqual((await call(url, 'GET', '/api/v1/services/default/quiet/endpoints')).json.ports, []);
    const nf = await call(url, 'GET', '/api/v1/services/default/nope/endpoints');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.message, 'service "nope" not found in namespace "default"');
  });

  it('the list: every service with ports, of one namespace with ?namespace=', async () => {
    const all = await call(url, 'GET', '/api/v1/endpoints');
    assert.equal(all.json.kind, 'List');
    assert.deepEqual(all.json.items.map((e: Endpoints) => `${e.metadata.namespace}/${e.metadata.name}`), ['default/web', 'prod/other']);
    const prod = await call(url, 'GET', '/api/v1/endpoints?namespace=prod');
    assert.deepEqual(prod.json.items.map((e: Endpoints) => e.metadata.name), ['other']);
    const bad = await call(url, 'POST', '/api/v1/endpoints');
    assert.equal(bad.status, 400);
  });

  it('watch: ADDED per service with ports, then MODIFIED only on a change; drops killed, unready, Unhealthy and NotReady-node tasks', async () => {
    const s = await openSse(url, '/api/v1/endpoints?watch=1&namespace=default');
    try {
      await s.until('the initial ADDED', () => s.events.length >= 1);
      assert.deepEqual(s.events.map((e) => e.event), ['ADDED']);
      assert.deepEqual(tasksIn(last(s)), ['web-a', 'web-b']);
      const next = async (what: string, n: number) => {
        await s.until(what, () => s.events.length >= n);
        assert.equal(s.events.length, n, `one event for ${what}`);
        return last(s);
      };
      // not a change of the endpoints: no event (the next event is the kill)
      await patchStatus(TASK, 'web-a', { health: 'Healthy' } as Partial<TaskStatus>, 'default');
      // a kill (the services loop's desiredState Killed) takes it out at once
      await patchSpec('web-a', { desiredState: 'Killed' });
      let e = await next('the kill', 2);
      assert.equal(s.events[1]!.event, 'MODIFIED');
      assert.deepEqual(tasksIn(e), ['web-b']);
      // a new task: in once ready
      await runTask('web-c', 'n1', 31020);
      e = await next('web-c', 3);
      assert.deepEqual(tasksIn(e), ['web-b', 'web-c']);
      await patchStatus(TASK, 'web-c', { ready: false } as Partial<TaskStatus>, 'default');
      assert.deepEqual(tasksIn(await next('web-c unready', 4)), ['web-b']);
      await patchStatus(TASK, 'web-c', { ready: true } as Partial<TaskStatus>, 'default');
      assert.deepEqual(tasksIn(await next('web-c ready', 5)), ['web-b', 'web-c']);
      await patchStatus(TASK, 'web-c', { health: 'Unhealthy' } as Partial<TaskStatus>, 'default');
      assert.deepEqual(tasksIn(await next('web-c unhealthy', 6)), ['web-b']);
      // its node stops heartbeating
      await patchStatus(NODE, 'n2', { state: 'NotReady' } as Partial<Node['status']>);
      assert.deepEqual(tasksIn(await next('n2 NotReady', 7)), []);
      await patchStatus(NODE, 'n2', { state: 'Ready' } as Partial<Node['status']>);
      assert.deepEqual(tasksIn(await next('n2 Ready', 8)), ['web-b']);
      // a service in another namespace is not in this stream
      await patchStatus(TASK, 'web-b', { state: 'Failed' } as Partial<TaskStatus>, 'default');
      assert.deepEqual(tasksIn(await next('web-b failed', 9)), []);
      // the service goes: DELETED
      assert.equal((await call(url, 'DELETE', '/api/v1/services/default/web')).status, 200);
      await s.until('DELETED', () => s.events.length >= 10);
      assert.equal(s.events[9]!.event, 'DELETED');
      assert.equal(last(s).metadata.name, 'web');
      assert.ok(!s.events.some((x) => (JSON.parse(x.data) as Endpoints).metadata.namespace !== 'default'));
    } finally {
      s.close();
    }
    // a new stream starts from the current set
    const s2 = await openSse(url, '/api/v1/endpoints?watch=1');
    try {
      await s2.until('ADDED', () => s2.events.length >= 1);
      assert.deepEqual(s2.events.map((e) => [e.event, (JSON.parse(e.data) as Endpoints).metadata.name]), [['ADDED', 'other']]);
    } finally {
      s2.close();
    }
  });
});
