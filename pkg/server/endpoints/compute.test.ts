/** computeEndpoints: which tasks a service's endpoints list, per port, and a property over any mix. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Health, Node, Service, Task, TaskState } from '../../api/types.js';
import { isReady } from '../../api/task-ready.js';
import { computeEndpoints, nodeHost, notServing } from './compute.js';

const svc = (ports: Service['spec']['ports'] = [{ name: 'http', servicePort: 10080 }, { name: 'admin' }]): Service => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' },
  spec: { image: 'img', resources: { cpus: 0.1, mem: 16, disk: 0 }, ports, instances: 3 } as Service['spec'],
});

interface TaskOpts {
  name: string;
  state?: TaskState;
  health?: Health;
  /** It has a health check. */
  checks?: boolean;
  readiness?: boolean;
  ready?: boolean;
  killed?: boolean;
  node?: string;
  ports?: Record<string, number>;
  owner?: string;
  ownerUid?: string;
}
const task = (o: TaskOpts): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: o.name, namespace: 'default', labels: { 'stowage/owner': o.owner ?? 'service/web' } },
  spec: {
    image: 'img',
    resources: { cpus: 0.1, mem: 16, disk: 0 },
    owner: o.owner ?? 'service/web',
    ownerUid: o.ownerUid ?? 'svc-uid',
    ...(o.checks ? { healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }] } : {}),
    ...(o.readiness ? { readinessChecks: [{ protocol: 'HTTP', port: 'http', path: '/', intervalSeconds: 1, timeoutSeconds: 0.5, httpStatusCodesForReady: [200] }] } : {}),
    ...(o.killed ? { desiredState: 'Killed' as const } : {}),
  },
  status: {
    state: o.state ?? 'Running',
    nodeName: o.node ?? 'n1',
    ports: o.ports ?? { http: 31000, admin: 31001 },
    ...(o.health ? { health: o.health } : {}),
    ...(o.ready !== undefined ? { ready: o.ready } : {}),
  },
});
const node = (name: string, ready = true, address = '127.0.0.1:7071'): Node => ({
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name },
  spec: { capacity: { cpus: 1, mem: 1, disk: 1 }, portRanges: [], attributes: {}, address },
  status: { state: ready ? 'Ready' : 'NotReady' },
});
const nodes = (...ns: Node[]) => (name: string) => ns.find((n) => n.metadata.name === name);

describe('computeEndpoints', () => {
  it('lists each serving task once per port, sorted by task name, with the servicePort', () => {
    const e = computeEndpoints(svc(), [task({ name: 'web-b', ports: { http: 31002, admin: 31003 } }), task({ name: 'web-a', node: 'n2' })], nodes(node('n1'), node('n2', true, '10.0.0.2:7071')));
    assert.deepEqual(e, {
      apiVersion: 'stowage/v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      ports: [
        { name: 'http', servicePort: 10080, addresses: [{ host: '10.0.0.2', port: 31000, task: 'web-a', node: 'n2' }, { host: '127.0.0.1', port: 31002, task: 'web-b', node: 'n1' }] },
        { name: 'admin', addresses: [{ host: '10.0.0.2', port: 31001, task: 'web-a', node: 'n2' }, { host: '127.0.0.1', port: 31003, task: 'web-b', node: 'n1' }] },
      ],
    });
  });

  it('leaves out tasks that do not serve, saying why', () => {
    const n = nodes(node('n1'), node('down', false));
    const cases: [TaskOpts, string | undefined][] = [
      [{ name: 'a' }, undefined],
      [{ name: 'a', health: 'Unknown' }, undefined],
      [{ name: 'a', health: 'Healthy' }, undefined],
      [{ name: 'a', readiness: true, ready: true }, undefined],
      [{ name: 'a', killed: true }, 'being killed'],
      [{ name: 'a', state: 'Starting' }, 'not running (Starting)'],
      [{ name: 'a', state: 'Unreachable' }, 'not running (Unreachable)'],
      [{ name: 'a', state: 'Killed' }, 'not running (Killed)'],
      [{ name: 'a', health: 'Unhealthy' }, 'unhealthy'],
      [{ name: 'a', checks: true, health: 'Unhealthy' }, 'unhealthy'],
      // the services loop does not count it ready yet, so it takes no traffic either
      [{ name: 'a', checks: true }, 'not healthy yet'],
      [{ name: 'a', checks: true, health: 'Unknown' }, 'not healthy yet'],
      [{ name: 'a', checks: true, health: 'Healthy' }, undefined],
      [{ name: 'a', checks: true, health: 'Healthy', readiness: true }, 'not ready'],
      [{ name: 'a', checks: true, health: 'Healthy', readiness: true, ready: true }, undefined],
      [{ name: 'a', readiness: true }, 'not ready'],
      [{ name: 'a', readiness: true, ready: false }, 'not ready'],
      [{ name: 'a', node: 'down' }, 'its node down is not Ready'],
      [{ name: 'a', node: 'gone' }, 'its node gone is unknown'],
    ];
    for (const [o, why] of cases) {
      const t = task(o);
      assert.equal(notServing(t, n(t.status!.nodeName!)), why, JSON.stringify(o));
      assert.equal(computeEndpoints(svc(), [t], n).ports[0]!.addresses.length, why ? 0 : 1, JSON.stringify(o));
    }
  });

  it("skips another service's tasks, a recreated service's old tasks, and a port a task does not have", () => {
    const e = computeEndpoints(
      svc(),
      [task({ name: 'x', owner: 'service/other' }), task({ name: 'y', ownerUid: 'old-uid' }), task({ name: 'z', ports: { http: 31000 } })],
      nodes(node('n1')),
    );
    assert.deepEqual(e.ports.map((p) => p.addresses.map((a) => a.task)), [['z'], []]);
  });

  it('a service without ports has none', () => {
    assert.deepEqual(computeEndpoints(svc([]), [task({ name: 'a' })], nodes(node('n1'))).ports, []);
  });

  it('node host: the advertised host, loopback for none or a wildcard', () => {
    assert.equal(nodeHost(node('n', true, '192.168.1.5:7071')), '192.168.1.5');
    assert.equal(nodeHost(node('n', true, '[::1]:7071')), '::1');
    assert.equal(nodeHost(node('n', true, '0.0.0.0:7071')), '127.0.0.1');
    assert.equal(nodeHost(node('n', true, '')), '127.0.0.1');
    assert.equal(nodeHost(undefined), '127.0.0.1');
  });

  it('property: never lists a task that is killed, unready, unhealthy (or not yet healthy, with checks), not Running or on a NotReady node; lists every other', () => {
    const states: TaskState[] = ['Pending', 'Bound', 'Starting', 'Running', 'Running', 'Running', 'Killed', 'Failed', 'Lost', 'Unreachable'];
    const arbTask = fc.record({
      state: fc.constantFrom(...states),
      health: fc.constantFrom<Health | undefined>(undefined, 'Unknown', 'Healthy', 'Unhealthy'),
      checks: fc.boolean(),
      readiness: fc.boolean(),
      ready: fc.constantFrom<boolean | undefined>(undefined, false, true),
      killed: fc.boolean(),
      node: fc.constantFrom('n1', 'n2', 'n3'),
    });
    fc.assert(
      fc.property(fc.array(arbTask, { maxLength: 12 }), fc.record({ n1: fc.boolean(), n2: fc.boolean() }), (specs, up) => {
        const tasks = specs.map((s, i) => task({ ...s, name: `web-${String(i).padStart(2, '0')}` }));
        const nodeOf = nodes(node('n1', up.n1), node('n2', up.n2)); // n3 is unknown
        const e = computeEndpoints(svc(), tasks, nodeOf);
        const listed = new Set(e.ports[0]!.addresses.map((a) => a.task));
        tasks.forEach((t, i) => {
          const s = specs[i]!;
          const serves =
            s.state === 'Running' &&
            !s.killed &&
            s.health !== 'Unhealthy' &&
            (!s.checks || s.health === 'Healthy') &&
            (!s.readiness || s.ready === true) &&
            s.node !== 'n3' &&
            up[s.node as 'n1' | 'n2'];
          assert.equal(listed.has(t.metadata.name), serves, JSON.stringify(s));
          // what the services loop counts ready is what takes traffic (a rollout keeps enough of them)
          if (listed.has(t.metadata.name)) assert.ok(isReady(t), `listed but not ready: ${JSON.stringify(s)}`);
        });
        const names = e.ports[0]!.addresses.map((a) => a.task);
        assert.deepEqual(names, [...names].sort(), 'sorted by task name');
      }),
      { numRuns: 500 },
    );
  });
});
