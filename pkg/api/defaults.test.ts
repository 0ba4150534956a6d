import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './defaults.js';
import { validateObject } from './validate.js';
import type { AnyResource } from './types.js';

const base = (kind: string, spec: Record<string, unknown> | undefined, metadata: Record<string, unknown> = { name: 'x' }) =>
  ({ apiVersion: 'stowage/v1', kind, metadata, ...(spec ? { spec } : {}) }) as unknown as AnyResource;

test('Service defaults (Marathon)', () => {
  const s = applyDefaults(base('Service', { image: 'i', healthChecks: [{ protocol: 'HTTP' }, { protocol: 'TCP', port: 'http' }, { protocol: 'COMMAND', command: ['true'] }] }));
  assert.deepEqual(s.metadata, { name: 'x', namespace: 'default' });
  assert.deepEqual(s.spec, {
    image: 'i',
    healthChecks: [
      { protocol: 'HTTP', gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, path: '/', portIndex: 0 },
      { protocol: 'TCP', port: 'http', gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3 },
      { protocol: 'COMMAND', command: ['true'], gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3 },
    ],
    resources: { cpus: 1, mem: 128, disk: 0 },
    killGracePeriodSeconds: 10,
    placement: 'binpack',
    priority: 0,
    instances: 1,
    progressDeadlineSeconds: 600,
    backoffSeconds: 1,
    backoffFactor: 1.15,
    maxLaunchDelaySeconds: 300,
    drainSeconds: 2,
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  });
});

test('readiness check defaults (Marathon)', () => {
  const s = applyDefaults(base('Service', { image: 'i', ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http' }] }));
  assert.deepEqual(s.spec.readinessChecks, [
    { protocol: 'HTTP', port: 'http', path: '/', intervalSeconds: 30, timeoutSeconds: 10, httpStatusCodesForReady: [200] },
  ]);
  const own = applyDefaults(
    base('Service', { image: 'i', readinessChecks: [{ name: 'warm', protocol: 'HTTP', port: 'http', path: '/ready', intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [204] }] }),
  );
  assert.deepEqual(own.spec.readinessChecks, [
    { name: 'warm', protocol: 'HTTP', port: 'http', path: '/ready', intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [204] },
  ]);
  const a = applyDefaults(base('Service', { image: 'i', readinessChecks: [{ protocol: 'HTTP', port: 'http' }] }));
  a.spec.readinessChecks[0].httpStatusCodesForReady.push(503);
  const b = applyDefaults(base('Service', { image: 'i', readinessChecks: [{ protocol: 'HTTP', port: 'http' }] }));
  assert.deepEqual(b.spec.readinessChecks[0].httpStatusCodesForReady, [200], 'each service gets its own list');
  assert.equal(applyDefaults(base('Service', { image: 'i' })).spec.readinessChecks, undefined, 'none unless asked for');
});

test('user values win, missing fields of an object are filled one by one', () => {
  const s = applyDefaults(
    base('Service', { image: 'i', instances: 0, resources: { mem: 32 }, upgradeStrategy: { maximumOverCapacity: 0.5 }, priority: -1 }),
  );
  assert.equal(s.spec.instances, 0);
  assert.equal(s.spec.priority, -1);
  assert.deepEqual(s.spec.resources, { cpus: 1, mem: 32, disk: 0 });
  assert.deepEqual(s.spec.upgradeStrategy, { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 });
});

test('Job, JobRun, Task, Namespace, Node defaults', () => {
  const j = applyDefaults(base('Job', { image: 'i' }));
  assert.deepEqual(
    [j.spec.retries, j.spec.concurrencyPolicy, j.spec.timeZone, j.spec.successfulRunsHistoryLimit, j.spec.failedRunsHistoryLimit],
    [0, 'Allow', 'UTC', 3, 1],
  );
  assert.deepEqual(j.spec.resources, { cpus: 1, mem: 128, disk: 0 });
  const r = applyDefaults(base('JobRun', { job: 'x', template: { image: 'i' } }));
  assert.equal(r.spec.retries, 0);
  assert.equal(r.spec.template.killGracePeriodSeconds, 10);
  const t = applyDefaults(base('Task', { image: 'i' }));
  assert.equal(t.spec.placement, 'binpack');
  assert.deepEqual(applyDefaults(base('Namespace', undefined)).spec, { weight: 1 });
  assert.deepEqual(applyDefaults(base('Namespace', { weight: 3 })).spec, { weight: 3 });
  const n = applyDefaults(base('Node', undefined, { name: 'n1', namespace: 'default' }));
  assert.deepEqual(n.spec, {});
  assert.equal(n.metadata.namespace, undefined, 'cluster-scoped: namespace dropped');
  assert.equal(applyDefaults(base('Service', { image: 'i' }, { name: 'x', namespace: 'team-a' })).metadata.namespace, 'team-a');
});

test('constraint values become strings', () => {
  const s = applyDefaults(base('Service', { image: 'i', constraints: [['rack', 'MAX_PER', 2], ['hostname', 'UNIQUE']] }));
  assert.deepEqual(s.spec.constraints, [['rack', 'MAX_PER', '2'], ['hostname', 'UNIQUE']]);
});

test('defaults are idempotent and do not touch the input', () => {
  const inputs = [
    base('Service', { image: 'i', ports: [{ name: 'http' }], healthChecks: [{ protocol: 'HTTP' }], constraints: [['rack', 'GROUP_BY', 2]], resources: { cpus: 0.5 } }),
    base('Job', { image: 'i', schedule: '* * * * *' }),
    base('JobRun', { job: 'x', template: { image: 'i', ports: [{ name: 'db' }], healthChecks: [{ protocol: 'TCP' }] } }),
    base('Task', { image: 'i' }),
    base('Service', { image: 'i', ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: 'http', intervalSeconds: 5, timeoutSeconds: 1 }] }),
    base('Task', { image: 'i', ports: [{ name: 'http' }], readinessChecks: [{ protocol: 'HTTP', port: '0' }] }),
    base('Namespace', undefined),
    base('Node', { attributes: { rack: 'r1' } }),
    base('Event', { type: 'Normal', reason: 'R', message: 'm', involvedObject: { kind: 'Service', name: 'x' }, source: 's' }),
  ];
  for (const input of inputs) {
    const copy = structuredClone(input);
    const once = applyDefaults(input);
    assert.deepEqual(input, copy, `${input.kind}: input untouched`);
    assert.deepEqual(applyDefaults(once), once, `${input.kind}: twice = once`);
    assert.equal(JSON.stringify(applyDefaults(once)), JSON.stringify(once), `${input.kind}: same key order`);
    assert.deepEqual(validateObject(once), once, `${input.kind}: defaulted object validates to itself`);
  }
});
