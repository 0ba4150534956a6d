/**
 * Service ports against real etcd, through the HTTP API (apply, POST, PUT,
 * DELETE, rollback): a port has one holder whatever the path or the race; a
 * taken port answers 409 naming its holder and an out-of-range one 422
 * naming the field, with nothing written; `servicePort: 0` is assigned once
 * and kept on re-apply; deleting or changing a port frees it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { PortSpec, Service } from '../../pkg/api/types.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { ApiServer } from '../../pkg/server/http.js';
import { SERVICE_PORT_PREFIX } from '../../pkg/store/keys.js';
import { call } from '../helpers/http.js';
import { startEtcdStore, type EtcdStore } from '../helpers/etcd-store.js';
import { templateHash, templateOf } from '../../pkg/api/template.js';

const SERVICE = lookupKind('Service')!;

const svc = (name: string, ports: PortSpec[], extra: Partial<Service['spec']> = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name },
  spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', '600'], resources: { cpus: 0.1, mem: 16 }, ports, ...extra },
});

describe('service ports (real etcd, HTTP API)', () => {
  let db: EtcdStore;
  let api: ApiServer;
  let url: string;
  before(async () => {
    db = await startEtcdStore();
    api = new ApiServer({ store: db.store, log: nopLogger, ready: () => ({ isLeader: false }), servicePortRange: { begin: 10000, end: 10009 } });
    url = `http://${await api.listen('127.0.0.1', 0)}`;
  });
  after(async () => {
    await api.close();
    db.stop();
  });

  const apply = (...items: unknown[]) => call(url, 'POST', '/api/v1/apply', { items });
  const claims = async (): Promise<Record<string, string>> => {
    const kvs = (await db.client.getAll().prefix(SERVICE_PORT_PREFIX).exec()).kvs;
    return Object.fromEntries(kvs.map((kv) => [kv.key.toString().slice(SERVICE_PORT_PREFIX.length), JSON.parse(kv.value.toString()).name as string]));
  };
  const portsOf = async (name: string) => (await db.store.get<Service>(SERVICE, 'default', name))?.object.spec.ports;
  const remove = async (name: string) => assert.equal((await call(url, 'DELETE', `/api/v1/services/default/${name}`)).status, 200);
  const revision = async () => String((await db.client.get('/stowage/').exec()).header.revision);

  it('claims an explicit port with the service, and refuses it to another with 409 naming the holder, writing nothing', async () => {
    assert.equal((await apply(svc('web', [{ name: 'http', servicePort: 10005 }]))).status, 200);
    assert.deepEqual(await claims(), { '10005': 'web' });
    const before = await revision();
    const r = await apply(svc('ok', [{ name: 'x', servicePort: 10006 }]), svc('thief', [{ name: 'api', servicePort: 10005 }]));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.code, 'AlreadyExists');
    assert.equal(r.json.message, 'document 2 (Service "thief"): spec.ports[0].servicePort: service port 10005 is taken by service default/web (port "http")');
    assert.deepEqual(r.json.details.map((d: { field: string }) => d.field), ['spec.ports[0].servicePort']);
    assert.equal(await revision(), before, 'nothing of the batch was written');
    // POST and PUT answer the same
    const p = await call(url, 'POST', '/api/v1/services', svc('thief', [{ name: 'api', servicePort: 10005 }]));
    assert.equal(p.status, 409);
    assert.equal(p.json.message, 'Service "thief": spec.ports[0].servicePort: service port 10005 is taken by service default/web (port "http")');
    assert.equal((await apply(svc('thief', [{ name: 'api' }]))).status, 200);
    const u = await call(url, 'PUT', '/api/v1/services/default/thief', svc('thief', [{ name: 'api', servicePort: 10005 }]));
    assert.equal(u.status, 409, u.text);
    assert.deepEqual(await portsOf('thief'), [{ name: 'api' }]);
    assert.deepEqual(await claims(), { '10005': 'web' });
    await remove('thief');
  });

  it('refuses a port outside the range with 422 naming the field, writing nothing', async () => {
    const before = await revision();
    const r = await apply(svc('fine', [{ name: 'x' }]), svc('far', [{ name: 'http', servicePort: 20000 }]));
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.code, 'Invalid');
    assert.match(r.json.message, /^document 2 \(Service "far"\): spec\.ports\[0\]\.servicePort: service port 20000 is outside the cluster's service port range 10000-10009/);
    assert.equal(await revision(), before);
    const schema = await apply(svc('neg', [{ name: 'http', servicePort: -1 }]));
    assert.equal(schema.status, 422);
    assert.match(schema.json.message, /spec\.ports\[0\]\.servicePort: must be >= 0/);
  });

  it('servicePort: 0 gets the lowest free port once; re-applying keeps it (unchanged, no new revision)', async () => {
    const r = await apply(svc('auto', [{ name: 'http', servicePort: 0 }, { name: 'admin', servicePort: 0 }]));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await portsOf('auto'), [{ name: 'http', servicePort: 10000 }, { name: 'admin', servicePort: 10001 }]);
    const rv = (await db.store.get<Service>(SERVICE, 'default', 'auto'))!.specRev;
    const again = await apply(svc('auto', [{ name: 'http', servicePort: 0 }, { name: 'admin', servicePort: 0 }]));
    assert.equal(again.json.results[0].action, 'unchanged');
    assert.equal((await db.store.get<Service>(SERVICE, 'default', 'auto'))!.specRev, rv);
    // what `get -o yaml` shows applies back unchanged too
    assert.equal((await apply(svc('auto', [{ name: 'http', servicePort: 10000 }, { name: 'admin', servicePort: 10001 }]))).json.results[0].action, 'unchanged');
    assert.deepEqual(await claims(), { '10000': 'auto', '10001': 'auto', '10005': 'web' });
  });

  it('changing a port frees the old one; deleting the service frees all of its ports', async () => {
    assert.equal((await apply(svc('auto', [{ name: 'http', servicePort: 0 }, { name: 'admin', servicePort: 10008 }]))).json.results[0].action, 'configured');
    assert.deepEqual(await claims(), { '10000': 'auto', '10005': 'web', '10008': 'auto' });
    await remove('auto');
    assert.deepEqual(await claims(), { '10005': 'web' });
    // free again: another service takes it
    assert.equal((await apply(svc('next', [{ name: 'http', servicePort: 10008 }]))).status, 200);
    assert.deepEqual(await claims(), { '10005': 'web', '10008': 'next' });
    await remove('next');
  });

  it('one apply may hand a port from one service to another (one transaction)', async () => {
    const r = await apply(svc('web', [{ name: 'http' }]), svc('new-web', [{ name: 'http', servicePort: 10005 }]));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await claims(), { '10005': 'new-web' });
    assert.deepEqual(await portsOf('web'), [{ name: 'http' }]);
    await remove('new-web');
    await remove('web');
    assert.deepEqual(await claims(), {});
  });

  it('a rollback to a template with another service port claims it again', async () => {
    assert.equal((await apply(svc('rb', [{ name: 'http', servicePort: 10003 }]))).status, 200);
    const v1 = (await db.store.get<Service>(SERVICE, 'default', 'rb'))!.object;
    assert.equal((await apply(svc('rb', [{ name: 'http', servicePort: 10004 }]))).status, 200);
    const cur = (await db.store.get<Service>(SERVICE, 'default', 'rb'))!;
    // the history the services loop would have recorded
    const t1 = templateOf(v1.spec);
    const t2 = templateOf(cur.object.spec);
    await db.store.putStatus(SERVICE, 'default', 'rb', { instances: 1, running: 0, healthy: 0, revisions: [{ revision: 1, hash: templateHash(t1), template: t1, createdAt: '' }, { revision: 2, hash: templateHash(t2), template: t2, createdAt: '' }] }, cur.statusRev);
    // someone took 10003 meanwhile: the rollback is refused, naming them
    assert.equal((await apply(svc('squat', [{ name: 'x', servicePort: 10003 }]))).status, 200);
    const refused = await call(url, 'POST', '/api/v1/services/default/rb/rollback', {});
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.json.message, /service port 10003 is taken by service default\/squat/);
    await remove('squat');
    const ok = await call(url, 'POST', '/api/v1/services/default/rb/rollback', {});
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(await portsOf('rb'), [{ name: 'http', servicePort: 10003 }]);
    assert.deepEqual(await claims(), { '10003': 'rb' });
    await remove('rb');
  });

  it('racing writers: of 8 creates of one port exactly one wins; 8 services with 0 get 8 different ports', async () => {
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => call(url, 'POST', '/api/v1/services', svc(`race-${i}`, [{ name: 'http', servicePort: 10002 }]))));
    assert.deepEqual(rs.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409], rs.map((r) => r.text).join('\n'));
    const winner = rs.findIndex((r) => r.status === 201);
    assert.deepEqual(await claims(), { '10002': `race-${winner}` });
    for (const [i, r] of rs.entries()) if (r.status === 201) await remove(`race-${i}`);
    const auto = await Promise.all(Array.from({ length: 8 }, (_, i) => apply(svc(`auto-${i}`, [{ name: 'http', servicePort: 0 }]))));
    assert.deepEqual(auto.map((r) => r.status), Array(8).fill(200), auto.map((r) => r.text).join('\n'));
    const got = await Promise.all(Array.from({ length: 8 }, async (_, i) => (await portsOf(`auto-${i}`))![0]!.servicePort));
    assert.equal(new Set(got).size, 8, `ports: ${got}`);
    const c = await claims();
    for (let i = 0; i < 8; i++) assert.equal(c[String(got[i])], `auto-${i}`);
    // two left in the range of 10: the ninth and tenth fit, the eleventh does not
    assert.equal((await apply(svc('auto-8', [{ name: 'http', servicePort: 0 }]), svc('auto-9', [{ name: 'http', servicePort: 0 }]))).status, 200);
    const full = await apply(svc('auto-10', [{ name: 'http', servicePort: 0 }]));
    assert.equal(full.status, 422);
    assert.match(full.json.message, /no free service port left in the range 10000-10009/);
  });

  it('many racing writers for the lowest free port: each loses only to another one winning, so all of them get a port', async () => {
    // Every racer plans the same lowest free port; one claim wins per round. With a bounded
    // count of conflicts instead of a bound on other writers' progress, some would get 409/500.
    const wide = new ApiServer({ store: db.store, log: nopLogger, ready: () => ({ isLeader: false }), servicePortRange: { begin: 11000, end: 11063 } });
    const wurl = `http://${await wide.listen('127.0.0.1', 0)}`;
    try {
      const n = 24;
      // the last of 48 racers waits out up to 47 rounds of etcd round trips and jittered backoff:
      // seconds on a loaded machine, so no 20 s cap on any one answer (the claim is that all get one)
      const opts = { timeoutMs: 90_000 };
      const viaApply = Array.from({ length: n }, (_, i) => call(wurl, 'POST', '/api/v1/apply', { items: [svc(`many-a${i}`, [{ name: 'http', servicePort: 0 }])] }, opts));
      const viaPost = Array.from({ length: n }, (_, i) => call(wurl, 'POST', '/api/v1/services', svc(`many-p${i}`, [{ name: 'http', servicePort: 0 }]), opts));
      const rs = await Promise.all([...viaApply, ...viaPost]);
      assert.deepEqual(rs.map((r) => r.status), [...Array(n).fill(200), ...Array(n).fill(201)], rs.filter((r) => r.status >= 300).map((r) => r.text).join('\n'));
      const c = await claims();
      const mine = Object.entries(c).filter(([, name]) => name.startsWith('many-'));
      assert.equal(mine.length, 2 * n, 'one port each');
      assert.equal(new Set(mine.map(([, name]) => name)).size, 2 * n);
      for (const name of mine.map(([, x]) => x)) await remove(name);
    } finally {
      await wide.close();
    }
  });
});
