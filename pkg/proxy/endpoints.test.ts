import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDeleted, parseEndpoints, parseJson } from './endpoints.js';

const good = {
  apiVersion: 'stowage/v1',
  kind: 'Endpoints',
  metadata: { namespace: 'default', name: 'web' },
  ports: [{ name: 'http', servicePort: 10080, addresses: [{ host: '127.0.0.1', port: 31001, task: 'web-abcde', node: 'n1' }] }],
};
const error = (v: unknown) => {
  const p = parseEndpoints(v);
  return p.ok ? undefined : p.error;
};

describe('parseEndpoints', () => {
  it('takes a well-formed object as it is', () => {
    assert.deepEqual(parseEndpoints(good), { ok: true, value: good });
  });

  it('a port without a service port (absent, null or 0: not assigned yet) has none', () => {
    for (const servicePort of [undefined, null, 0]) {
      const p = parseEndpoints({ ...good, ports: [{ name: 'http', servicePort, addresses: [] }] });
      assert.ok(p.ok);
      assert.equal('servicePort' in p.value.ports[0]!, false);
    }
  });

  it('names the first bad field', () => {
    assert.equal(error(null), '(root): must be an object');
    assert.equal(error([]), '(root): must be an object');
    assert.equal(error({ ...good, kind: 'Service' }), 'kind: must be "Endpoints"');
    assert.equal(error({ ...good, metadata: { name: 'web' } }), 'metadata.namespace: must be a non-empty string');
    assert.equal(error({ ...good, ports: {} }), 'ports: must be an array');
    assert.equal(error({ ...good, ports: [{ name: 'http', servicePort: 70000, addresses: [] }] }), 'ports[0].servicePort: must be a whole number from 1 to 65535 when set');
    assert.equal(error({ ...good, ports: [{ name: 'http', servicePort: '80', addresses: [] }] }), 'ports[0].servicePort: must be a whole number from 1 to 65535 when set');
    assert.equal(error({ ...good, ports: [{ name: 'http', addresses: [{ host: '', port: 1, task: 't', node: 'n' }] }] }), 'ports[0].addresses[0].host: must be a non-empty string');
    assert.equal(error({ ...good, ports: [{ name: 'http', addresses: [{ host: 'h', port: 1.5, task: 't', node: 'n' }] }] }), 'ports[0].addresses[0].port: must be a whole number from 1 to 65535');
    assert.equal(error({ ...good, ports: [{ name: 'http', addresses: [{ host: 'h', port: 1, node: 'n' }] }] }), 'ports[0].addresses[0].task: must be a string');
  });

  it('property: any JSON value is either valid Endpoints or refused with a message, never a throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const p = parseEndpoints(v);
        const d = parseDeleted(v);
        return (p.ok || typeof p.error === 'string') && (d.ok || typeof d.error === 'string');
      }),
    );
  });
});

describe('parseDeleted / parseJson', () => {
  it('a DELETED event needs only its metadata', () => {
    assert.deepEqual(parseDeleted({ metadata: { namespace: 'default', name: 'web' } }), { ok: true, value: { namespace: 'default', name: 'web' } });
    assert.deepEqual(parseDeleted({ metadata: { namespace: 'default' } }), { ok: false, error: 'metadata.name: must be a non-empty string' });
  });

  it('bad JSON is a message', () => {
    const p = parseJson('{"kind": Endpoints}');
    assert.equal(p.ok, false);
    assert.match((p as { error: string }).error, /^not JSON: /);
  });
});
