import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseManifests } from './yaml.js';
import { validateMany, validateObject } from './validate.js';

const DIR = fileURLToPath(new URL('../../manifests/examples/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

test('the examples exist', () => {
  assert.deepEqual(files.sort(), ['hello.yaml', 'job.yaml', 'namespace.yaml']);
});

for (const f of files) {
  test(`example ${f} validates`, () => {
    const docs = parseManifests(readFileSync(DIR + f, 'utf8'), f);
    assert.ok(docs.length > 0);
    for (const d of docs) validateObject(d);
    validateMany(docs);
  });
}

test('hello: two instances on one agent, HTTP health and readiness checks on the http port', () => {
  const [hello] = validateMany(parseManifests(readFileSync(DIR + 'hello.yaml', 'utf8'), 'hello.yaml'));
  assert.equal(hello!.kind, 'Service');
  assert.equal(hello!.metadata.name, 'hello');
  assert.equal(hello!.spec.instances, 2);
  assert.equal(hello!.spec.image, 'localhost/stowage-busybox:1');
  assert.deepEqual(hello!.spec.resources, { cpus: 0.1, mem: 32, disk: 0 });
  assert.equal(hello!.spec.constraints, undefined, 'no hostname UNIQUE: runnable on one agent');
  assert.equal(hello!.spec.healthChecks[0].protocol, 'HTTP');
  assert.equal(hello!.spec.healthChecks[0].port, 'http');
  assert.deepEqual(hello!.spec.readinessChecks, [{ protocol: 'HTTP', port: 'http', path: '/', intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [200] }]);
  assert.match(hello!.spec.command.join(' '), /httpd .*\$PORT0/);
});

test('namespace team-a has weight 2 and a quota', () => {
  const [ns] = validateMany(parseManifests(readFileSync(DIR + 'namespace.yaml', 'utf8'), 'namespace.yaml'));
  assert.equal(ns!.metadata.name, 'team-a');
  assert.equal(ns!.spec.weight, 2);
  assert.ok(ns!.spec.quota);
});

test('DESIGN.md "Two resources as a user writes them" validate', () => {
  const text = `apiVersion: stowage/v1
kind: Service
metadata:
  name: hello
  namespace: default
spec:
  instances: 3
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  env: {GREETING: hello}
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  constraints: [["hostname", "UNIQUE"]]
  healthChecks:
    - {protocol: HTTP, port: http, path: /, gracePeriodSeconds: 5,
       intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 3}
  upgradeStrategy: {minimumHealthCapacity: 1, maximumOverCapacity: 0.5}
---
apiVersion: stowage/v1
kind: Job
metadata:
  name: report
spec:
  schedule: "*/2 * * * * *"        # cron (5 or 6 fields) or ISO 8601 "R/2026-12-01T00:00:00Z/PT2S"
  timeZone: UTC
  # parents: [extract]             # instead of a schedule: run after every parent succeeded
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo done"]
  resources: {cpus: 0.1, mem: 16}
  retries: 2
  concurrencyPolicy: Forbid
`;
  const [svc, job] = validateMany(parseManifests(text, 'DESIGN.md'));
  assert.deepEqual(svc!.spec.constraints, [['hostname', 'UNIQUE']]);
  assert.equal(job!.spec.concurrencyPolicy, 'Forbid');
  assert.deepEqual(job!.spec.resources, { cpus: 0.1, mem: 16, disk: 0 });
});
