/**
 * Dependency cycles between Services and Jobs (one graph), against real etcd: the API refuses a
 * create, an update or an apply that would close one (422, the field and
 * the cycle named, nothing written), and when a cycle is written around the
 * API (as two concurrent writes could), the services loop names it in the
 * DependenciesReady condition.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../pkg/api/defaults.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Service, ServiceSpec } from '../../pkg/api/types.js';
import { call } from '../helpers/http.js';
import { useServicesLoop } from '../helpers/services-loop.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;

const svc = (name: string, dependencies: string[] = [], spec: Partial<ServiceSpec> = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { image: 'img', command: ['run'], resources: { cpus: 0.1, mem: 16, disk: 0 }, ...(dependencies.length ? { dependencies } : {}), ...spec },
});

describe('dependency cycles (real etcd)', () => {
  const loop = useServicesLoop();

  const names = async () => (await loop.store.list<Service>(SERVICE, 'default')).items.map((s) => s.object.metadata.name).sort();

  it('a create that closes a cycle with stored services: 422 naming the field and the cycle; nothing written', async () => {
    assert.equal((await call(loop.url, 'POST', '/api/v1/services', svc('c1-a', ['c1-b']))).status, 201);
    assert.equal((await call(loop.url, 'POST', '/api/v1/services', svc('c1-b', ['c1-c']))).status, 201);
    const r = await call(loop.url, 'POST', '/api/v1/services', svc('c1-c', ['c1-a']));
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.message, /Service "c1-c": spec\.dependencies: c1-c → c1-a → c1-b → c1-c: a dependency cycle/);
    assert.deepEqual(
      r.json.details.map((d: { field: string; rule: string }) => `${d.field} ${d.rule}`),
      ['spec.dependencies acyclic'],
    );
    assert.deepEqual(await names(), ['c1-a', 'c1-b']);
  });

  it('an update that closes a cycle: 422, the stored spec unchanged', async () => {
    const r = await call(loop.url, 'PUT', '/api/v1/services/default/c1-b', svc('c1-b', ['c1-a']));
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.message, /c1-b → c1-a → c1-b/);
    assert.deepEqual((await loop.store.get<Service>(SERVICE, 'default', 'c1-b'))!.object.spec.dependencies, ['c1-c']);
  });

  it('an apply whose documents form a cycle among themselves: 422 per cycle with the document; nothing of the batch written', async () => {
    const r = await call(loop.url, 'POST', '/api/v1/apply', { items: [svc('c2-ok'), svc('c2-x', ['c2-y']), svc('c2-y', ['c2-x'])] });
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.message, /^1 of 3 documents is invalid: document 2 \(Service "c2-x"\): spec\.dependencies: c2-x → c2-y → c2-x/);
    assert.equal(r.json.details[0].document, 2);
    assert.ok(!(await names()).some((n) => n.startsWith('c2-')), 'nothing written');
  });

  it('a chain and a diamond are fine', async () => {
    const r = await call(loop.url, 'POST', '/api/v1/apply', { items: [svc('c3-top', ['c3-l', 'c3-r']), svc('c3-l', ['c3-base']), svc('c3-r', ['c3-base']), svc('c3-base')] });
    assert.equal(r.status, 200, r.text);
  });

  it('across kinds: a service that waits for a job that runs after that service: 422, nothing written', async () => {
    const job = (name: string, parents: string[]) => ({ apiVersion: 'stowage/v1', kind: 'Job', metadata: { name, namespace: 'default' }, spec: { image: 'img', resources: { cpus: 0.1, mem: 16 }, parents } });
    assert.equal((await call(loop.url, 'POST', '/api/v1/jobs', job('c5-mig', ['service/c5-web']))).status, 201);
    const r = await call(loop.url, 'POST', '/api/v1/services', svc('c5-web', ['job/c5-mig']));
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.message, 'Service "c5-web": spec.dependencies: service/c5-web → job/c5-mig → service/c5-web: a dependency cycle (each would wait for the next forever)');
    assert.ok(!(await names()).includes('c5-web'), 'nothing written');
    const chain = await call(loop.url, 'POST', '/api/v1/apply', { items: [job('c5-a', ['c5-b']), job('c5-b', ['job/c5-a'])] });
    assert.equal(chain.status, 422, chain.text);
    assert.match(chain.json.message, /document 1 \(Job "c5-a"\): spec\.parents: job\/c5-a → job\/c5-b → job\/c5-a: a dependency cycle/);
  });

  it('a cycle written around the API: the loop names it in DependenciesReady', async () => {
    for (const [n, d] of [['c4-p', 'c4-q'], ['c4-q', 'c4-p']] as const) await loop.store.create(SERVICE, applyDefaults(svc(n, [d]) as Service));
    const cond = await until('the cycle named in DependenciesReady', async () => {
      const s = (await loop.store.get<Service>(SERVICE, 'default', 'c4-p'))!.object;
      return s.status?.conditions?.find((c) => c.type === 'DependenciesReady' && c.message?.includes('→'));
    });
    assert.equal(cond.status, 'False');
    assert.equal(cond.message, 'service/c4-q: 0/1 healthy (c4-p → c4-q → c4-p: a dependency cycle (each would wait for the next forever))');
  });
});
