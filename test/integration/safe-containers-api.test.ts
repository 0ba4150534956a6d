/**
 * Safe containers at the API of a real `stowage server` on a real etcd: a
 * Service, Job or Task asking for a capability or a host path is written
 * only when its Namespace allows it (spec.allowCapabilities,
 * spec.allowHostPaths); otherwise 422 naming the field and the namespace's
 * rule, and nothing is written. On every write path: create, update
 * (PUT), apply (a Namespace in the same batch counts), rollback, job run.
 *
 *   test ──HTTP──► stowage server (standby: the test holds leadership) ──► etcd
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { templateHash, templateOf } from '../../pkg/api/template.js';
import type { Service, ServiceRevision } from '../../pkg/api/types.js';
import { call, type Answer } from '../helpers/http.js';
import { startQuietServer } from '../helpers/quiet-server.js';
import { use } from '../helpers/use.js';

const SERVICE = lookupKind('Service')!;

const ns = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name }, spec });
const template = (extra: Record<string, unknown>) => ({
  image: 'localhost/stowage-busybox:1',
  command: ['/bin/sh', '-c', 'exec sleep 3600'],
  resources: { cpus: 0.1, mem: 16 },
  ...extra,
});
const svc = (namespace: string, name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: template(extra),
});
const NET_ADMIN = { capabilities: { add: ['NET_ADMIN'] } };
const DATA = { volumes: [{ hostPath: '/srv/data/app', containerPath: '/data', readOnly: true }] };

describe('safe containers: what a namespace allows, at the API', () => {
  const q = use(startQuietServer);
  const api = (method: string, path: string, body?: unknown): Promise<Answer> => call(q.url, method, path, body);

  /** The answer must be a 422 with these (field, rule) details, and etcd must not have moved. */
  const refused = async (send: () => Promise<Answer>, want: { field: string; rule: string }[], message: RegExp): Promise<Answer> => {
    const rev = await q.revision();
    const r = await send();
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.code, 'Invalid');
    assert.deepEqual(r.json.details.map((d: { field: string; rule: string }) => ({ field: d.field, rule: d.rule })), want);
    assert.match(r.json.message, message);
    assert.deepEqual(await q.writtenSince(rev), [], 'nothing is written');
    return r;
  };

  before(async () => {
    for (const n of [ns('a', { allowCapabilities: ['NET_ADMIN'], allowHostPaths: ['/srv/data'] }), ns('b')]) {
      const r = await api('POST', '/api/v1/namespaces', n);
      assert.equal(r.status, 201, r.text);
    }
  });

  it('create: a namespace allowing a capability and a host path lets a service have them; another namespace is refused', async () => {
    const ok = await api('POST', '/api/v1/services', svc('a', 'net', { ...NET_ADMIN, ...DATA, user: '1000:1000', readOnlyRootFilesystem: true }));
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.json.spec.capabilities, { add: ['NET_ADMIN'] });
    const r = await refused(
      () => api('POST', '/api/v1/services', svc('b', 'net', { ...NET_ADMIN, ...DATA })),
      [
        { field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' },
        { field: 'spec.volumes[0].hostPath', rule: 'allowHostPaths' },
      ],
      /^Service "net": spec\.capabilities\.add\[0\]: capability NET_ADMIN is not allowed in namespace "b" \(its spec\.allowCapabilities: none; allowed everywhere: NET_BIND_SERVICE\); an admin may add it to the Namespace; spec\.volumes\[0\]\.hostPath: host path \/srv\/data\/app is not allowed in namespace "b"/,
    );
    assert.equal(r.json.details.length, 2);
    // the default capability needs nobody's permission, and a namespace's prefix is a path prefix, not a string prefix
    assert.equal((await api('POST', '/api/v1/services', svc('b', 'low-port', { capabilities: { add: ['NET_BIND_SERVICE'] } }))).status, 201);
    await refused(
      () => api('POST', '/api/v1/services', svc('a', 'sneaky', { volumes: [{ hostPath: '/srv/database', containerPath: '/d' }] })),
      [{ field: 'spec.volumes[0].hostPath', rule: 'allowHostPaths' }],
      /host path \/srv\/database is not allowed in namespace "a" \(its spec\.allowHostPaths: \[\/srv\/data\]\)/,
    );
  });

  it('a namespace that does not exist allows nothing beyond the default', async () => {
    await refused(() => api('POST', '/api/v1/services', svc('nowhere', 'net', NET_ADMIN)), [{ field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' }], /namespace "nowhere"/);
  });

  it('update: adding a capability the namespace does not allow is refused', async () => {
    assert.equal((await api('POST', '/api/v1/services', svc('b', 'web'))).status, 201);
    await refused(() => api('PUT', '/api/v1/services/b/web', svc('b', 'web', { capabilities: { add: ['SYS_TIME'] } })), [{ field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' }], /capability SYS_TIME is not allowed in namespace "b"/);
  });

  it('hand-written tasks and jobs are held to the same rule', async () => {
    await refused(
      () => api('POST', '/api/v1/tasks', { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 't1', namespace: 'b' }, spec: template(NET_ADMIN) }),
      [{ field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' }],
      /^Task "t1": /,
    );
    await refused(
      () => api('POST', '/api/v1/jobs', { apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: 'j1', namespace: 'b' }, spec: template(DATA) }),
      [{ field: 'spec.volumes[0].hostPath', rule: 'allowHostPaths' }],
      /^Job "j1": /,
    );
  });

  it('apply: a namespace in the same batch counts; a refused document refuses the whole batch', async () => {
    const ok = await api('POST', '/api/v1/apply', { items: [ns('c', { allowCapabilities: ['SYS_TIME'] }), svc('c', 'clock', { capabilities: { add: ['SYS_TIME'] } })] });
    assert.equal(ok.status, 200, ok.text);
    await refused(
      () => api('POST', '/api/v1/apply', { items: [svc('a', 'fine', NET_ADMIN), svc('b', 'clock', { capabilities: { add: ['SYS_TIME'] } })] }),
      [{ field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' }],
      /^1 of 2 documents is invalid: document 2 \(Service "clock"\): spec\.capabilities\.add\[0\]: capability SYS_TIME is not allowed in namespace "b"/,
    );
  });

  it('rollback and job runs check the namespace as it is now', async () => {
    // service "net" of namespace a has NET_ADMIN (revision 1); then it drops it (revision 2) and the admin narrows a
    const cur = await q.store.get<Service>(SERVICE, 'a', 'net');
    assert.ok(cur);
    const withCap = templateOf(cur.object.spec);
    const plain = templateOf(svc('a', 'net').spec as Service['spec']);
    const put = await api('PUT', '/api/v1/services/a/net', svc('a', 'net'));
    assert.equal(put.status, 200, put.text);
    const revisions: ServiceRevision[] = [
      { revision: 1, hash: templateHash(withCap), template: withCap, createdAt: new Date().toISOString() },
      { revision: 2, hash: templateHash(plain), template: plain, createdAt: new Date().toISOString() },
    ];
    const now = await q.store.get<Service>(SERVICE, 'a', 'net');
    await q.store.putStatus(SERVICE, 'a', 'net', { instances: 1, running: 0, healthy: 0, revisions }, now!.statusRev);
    const job = await api('POST', '/api/v1/jobs', { apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: 'tcpdump', namespace: 'a' }, spec: template(NET_ADMIN) });
    assert.equal(job.status, 201, job.text);

    const narrowed = await api('PUT', '/api/v1/namespaces/a', ns('a', { allowHostPaths: ['/srv/data'] }));
    assert.equal(narrowed.status, 200, narrowed.text);
    await refused(() => api('POST', '/api/v1/services/a/net/rollback', { revision: 1 }), [{ field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' }], /^Service "net": spec\.capabilities\.add\[0\]: capability NET_ADMIN is not allowed in namespace "a"/);
    await refused(() => api('POST', '/api/v1/jobs/a/tcpdump/run', {}), [{ field: 'spec.capabilities.add[0]', rule: 'allowCapabilities' }], /^Job "tcpdump": /);

    // allowed again: the rollback goes through
    assert.equal((await api('PUT', '/api/v1/namespaces/a', ns('a', { allowCapabilities: ['NET_ADMIN'], allowHostPaths: ['/srv/data'] }))).status, 200);
    const back = await api('POST', '/api/v1/services/a/net/rollback', { revision: 1 });
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(back.json.spec.capabilities, { add: ['NET_ADMIN'] });
  });

  it('a namespace naming an unknown capability or an unclean path is refused', async () => {
    await refused(
      () => api('POST', '/api/v1/namespaces', ns('d', { allowCapabilities: ['NET_ADMN'], allowHostPaths: ['/srv/../etc'] })),
      [
        { field: 'spec.allowCapabilities[0]', rule: 'capability' },
        { field: 'spec.allowHostPaths[0]', rule: 'cleanPath' },
      ],
      /unknown capability "NET_ADMN"; did you mean "NET_ADMIN"\?/,
    );
  });
});
