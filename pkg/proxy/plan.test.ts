import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EndpointAddress, Endpoints } from '../api/types.js';
import { desiredPorts, diffListeners, type OpenListener, type PortTarget } from './plan.js';

const addr = (port: number, task = `t${port}`): EndpointAddress => ({ host: '127.0.0.1', port, task, node: 'n1' });
const ep = (namespace: string, name: string, ports: { name: string; servicePort?: number; addresses: EndpointAddress[] }[]): Endpoints => ({
  apiVersion: 'stowage/v1',
  kind: 'Endpoints',
  metadata: { namespace, name },
  ports,
});
const serving = (targets: Iterable<PortTarget>) => new Map([...targets].map((t) => [t.servicePort, { owner: t.owner, addresses: t.addresses } as OpenListener]));

describe('desiredPorts', () => {
  it('one target per port that has a service port; ports without one are not listened on', () => {
    const p = desiredPorts([
      ep('default', 'web', [
        { name: 'http', servicePort: 10080, addresses: [addr(31001)] },
        { name: 'admin', addresses: [addr(31002)] },
      ]),
      ep('shop', 'db', [{ name: 'sql', servicePort: 10432, addresses: [] }]),
    ]);
    assert.deepEqual([...p.ports.keys()], [10080, 10432]);
    assert.deepEqual(p.ports.get(10080), { owner: 'default/web/http', namespace: 'default', service: 'web', port: 'http', servicePort: 10080, addresses: [addr(31001)] });
    assert.equal(p.ports.get(10432)!.addresses.length, 0, 'a port with no ready instance is still listened on (clients are refused fast)');
    assert.deepEqual(p.conflicts, []);
  });

  it('two services on one service port: the first by namespace/name keeps it, whatever the order they came in', () => {
    const a = ep('default', 'a', [{ name: 'http', servicePort: 10080, addresses: [addr(1)] }]);
    const b = ep('default', 'b', [{ name: 'http', servicePort: 10080, addresses: [addr(2)] }]);
    for (const order of [[a, b], [b, a]]) {
      const p = desiredPorts(order);
      assert.equal(p.ports.get(10080)!.owner, 'default/a/http');
      assert.deepEqual(p.conflicts, [{ servicePort: 10080, kept: 'default/a/http', refused: 'default/b/http' }]);
    }
  });
});

describe('diffListeners', () => {
  const web = desiredPorts([ep('default', 'web', [{ name: 'http', servicePort: 10080, addresses: [addr(1), addr(2)] }])]).ports;

  it('opens new ports, leaves unchanged ones alone', () => {
    assert.deepEqual(diffListeners(new Map(), web), { close: [], open: [web.get(10080)], update: [] });
    assert.deepEqual(diffListeners(serving(web.values()), web), { close: [], open: [], update: [] });
  });

  it('updates a listener whose instances changed, closes one whose service went', () => {
    const fewer = desiredPorts([ep('default', 'web', [{ name: 'http', servicePort: 10080, addresses: [addr(2)] }])]).ports;
    assert.deepEqual(diffListeners(serving(web.values()), fewer), { close: [], open: [], update: [fewer.get(10080)] });
    assert.deepEqual(diffListeners(serving(web.values()), new Map()), { close: [10080], open: [], update: [] });
  });

  it('a port that changes hands is closed and opened again, not updated', () => {
    const other = desiredPorts([ep('default', 'api', [{ name: 'http', servicePort: 10080, addresses: [addr(1), addr(2)] }])]).ports;
    assert.deepEqual(diffListeners(serving(web.values()), other), { close: [10080], open: [other.get(10080)], update: [] });
  });

  it('property: applying the changes to what is open gives exactly what is wanted, touching nothing unchanged', () => {
    const arbEndpoints = fc.uniqueArray(
      fc.record({
        name: fc.constantFrom('a', 'b', 'c', 'd'),
        ports: fc.uniqueArray(
          fc.record({
            name: fc.constantFrom('http', 'grpc'),
            servicePort: fc.option(fc.integer({ min: 10000, max: 10005 }), { nil: undefined }),
            addresses: fc.array(fc.integer({ min: 31000, max: 31003 }).map((p) => addr(p)), { maxLength: 3 }),
          }),
          { selector: (p) => p.name, maxLength: 2 },
        ),
      }),
      { selector: (e) => e.name, maxLength: 4 },
    ).map((list) => list.map((e) => ep('default', e.name, e.ports)));
    fc.assert(
      fc.property(arbEndpoints, arbEndpoints, (before, after) => {
        const current = serving(desiredPorts(before).ports.values());
        const want = desiredPorts(after).ports;
        const ch = diffListeners(current, want);
        const next = new Map(current);
        for (const p of ch.close) next.delete(p);
        for (const t of [...ch.open, ...ch.update]) next.set(t.servicePort, { owner: t.owner, addresses: t.addresses });
        assert.deepEqual(next, serving(want.values()));
        for (const t of ch.update) assert.equal(current.get(t.servicePort)?.owner, t.owner, 'updates keep the owner');
        for (const t of ch.open) assert.ok(!current.has(t.servicePort) || ch.close.includes(t.servicePort), 'an open port is opened only after it is closed');
        const touched = new Set([...ch.close, ...ch.open.map((t) => t.servicePort), ...ch.update.map((t) => t.servicePort)]);
        for (const [port, l] of current) {
          const w = want.get(port);
          if (w && w.owner === l.owner && JSON.stringify(w.addresses) === JSON.stringify(l.addresses)) assert.ok(!touched.has(port), `port ${port} is unchanged`);
        }
      }),
    );
  });
});
