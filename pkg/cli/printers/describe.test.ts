import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe } from './describe.js';
import * as fx from './fixtures.js';

test('a service: metadata, spec summary, status, conditions, its tasks with pending reasons, events', () => {
  const out = describe(fx.service, { tasks: [fx.runningTask, fx.pendingTask], events: [fx.event] }, fx.NOW);
  assert.match(out, /^Name: +hello\nNamespace: +default\nKind: +Service\nLabels: +app=hello\n/);
  assert.match(out, /\n  Command: +\/bin\/sh -c 'exec httpd -f -p \$PORT0 -h \/www'\n/);
  assert.match(out, /\n  Health Checks: +HTTP port=http path=\/ grace=5s interval=2s timeout=1s maxFailures=3\n/);
  assert.match(out, /\n  Instances: +3 desired, 3 running, 2 healthy\n  Deployment: +progressing, revision 2\n/);
  assert.match(out, /\nConditions:\n  TYPE +STATUS +REASON +MESSAGE +LAST TRANSITION\n  Available +False +NotEnoughHealthy +2\/3 healthy\n/);
  assert.match(out, /\nTasks:\n  NAME +STATE +HEALTH +NODE +PORTS +AGE\n  hello-7f9c2-abcde +Running/);
  assert.match(out, /\nPending:\n  hello-7f9c2-zzzzz: 0\/2 nodes fit: 2 constraint hostname UNIQUE\n/);
  assert.match(out, /\nEvents:\n  LAST SEEN +TYPE +REASON +COUNT +MESSAGE\n  30s +Warning +Unhealthy +x4 +task hello-7f9c2-abcde failed 3 health checks\n$/);
});

test('a pending task shows why it is pending; no events reads <none>', () => {
  const out = describe(fx.pendingTask, { events: [] }, fx.NOW);
  assert.match(out, /\n  State: +Pending\n  Pending Reason: +0\/2 nodes fit: 2 constraint hostname UNIQUE\n/);
  assert.match(out, /\nEvents:  <none>\n$/);
});

test('a node: no namespace line, cordoned state, its tasks', () => {
  const out = describe(fx.node, {}, fx.NOW);
  assert.doesNotMatch(out, /Namespace:/);
  assert.match(out, /\n  State: +Ready,SchedulingDisabled\n/);
  assert.match(out, /\nTasks:\n  TASK +CPUS +MEM +DISK +PORTS\n  default\/a +0.1 +32 +0 +31000\n/);
});

test('events are printed oldest first, newest last', () => {
  const older = { ...fx.event, spec: { ...fx.event.spec, reason: 'Older', lastTimestamp: '2026-01-01T11:00:00Z' } };
  const out = describe(fx.service, { events: [fx.event, older] }, fx.NOW);
  assert.ok(out.indexOf('Older') < out.indexOf('Unhealthy'));
});

test('a service: its revisions (current starred), last failures and launch backoff', () => {
  const tpl = { image: 'localhost/stowage-busybox:1', command: ['/bin/sh', '-c', 'exit 1'], resources: { cpus: 0.1, mem: 32, disk: 0 } };
  const svc = {
    ...fx.service,
    status: {
      ...fx.service.status!,
      tasks: 3, updated: 1, terminating: 1,
      deployment: { state: 'failed' as const, revision: 2, message: 'no progress for 600s' },
      backoff: { failures: 4, lastFailureAt: '2026-01-01T11:59:50Z' },
      delayedUntil: '2026-01-01T12:00:10Z',
      revisions: [
        { revision: 1, hash: 'aaaaaaaaaa', template: { ...tpl, command: ['httpd'] }, createdAt: '2026-01-01T10:00:00Z' },
        { revision: 2, hash: 'bbbbbbbbbb', template: tpl, createdAt: '2026-01-01T11:00:00Z' },
      ],
      lastFailures: [{ task: 'hello-abcde', revision: 2, state: 'Failed' as const, exitCode: 1, reason: 'Error', message: 'boom\nagain', at: '2026-01-01T11:59:50Z' }],
    },
  };
  const out = describe(svc, {}, fx.NOW);
  assert.match(out, /\n  Tasks: +3 live, 1 of the current revision, 1 terminating\n/);
  assert.match(out, /\n  Delayed Until: +2026-01-01T12:00:10Z\n  Launch Failures: +4 in a row, last 10s ago\n/);
  assert.match(out, /\nRevisions:\n  REVISION +HASH +IMAGE +COMMAND +CREATED\n  2\* +bbbbbbbbbb +localhost\/stowage-busybox:1 +\/bin\/sh -c 'exit 1' +2026-01-01T11:00:00Z\n  1 +aaaaaaaaaa .* httpd /);
  assert.match(out, /\nLast Failures:\n  AGE +TASK +REVISION +STATE +EXIT +REASON +MESSAGE\n  10s +hello-abcde +2 +Failed +1 +Error +boom again\n/);
});

test('readiness checks: in the spec, the ready count of a service, whether a task is ready and why not', () => {
  const rc = { protocol: 'HTTP' as const, port: 'http', path: '/ready', intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [200, 204] };
  const svc = { ...fx.service, spec: { ...fx.service.spec, readinessChecks: [rc] }, status: { ...fx.service.status!, ready: 1 } };
  const out = describe(svc, {}, fx.NOW);
  assert.match(out, /\n  Readiness Checks: +HTTP port=http path=\/ready interval=2s timeout=1s ready=200,204\n/);
  assert.match(out, /\n  Instances: +3 desired, 3 running, 2 healthy, 1 ready\n/);
  const waiting = { ...fx.runningTask, spec: { ...fx.runningTask.spec, readinessChecks: [rc] }, status: { ...fx.runningTask.status!, ready: false, readinessMessage: 'GET http://127.0.0.1:31000/ready: HTTP 503' } };
  assert.match(describe(waiting, {}, fx.NOW), /\n  Ready: +false \(GET http:\/\/127.0.0.1:31000\/ready: HTTP 503\)\n/);
  const ready = { ...waiting, status: { ...waiting.status, ready: true, readyAt: '2026-01-01T11:59:00Z' } };
  assert.match(describe(ready, {}, fx.NOW), /\n  Ready: +true, since 2026-01-01T11:59:00Z \(60s ago\)\n/);
  assert.doesNotMatch(describe(fx.runningTask, {}, fx.NOW), /Ready:/, 'no readiness checks, no line');
  assert.doesNotMatch(describe(fx.service, {}, fx.NOW), /ready/, 'nor a count');
});

test('a failed container\'s last output: on its task, and under a service\'s last failures (the newest that has some)', () => {
  const failed = { ...fx.runningTask, status: { ...fx.runningTask.status!, state: 'Failed' as const, exitCode: 2, reason: 'Error', output: 'starting\npanic: no config' } };
  assert.match(describe(failed, {}, fx.NOW), /\nLast Output:\n  starting\n  panic: no config\n$/);
  const svc = {
    ...fx.service,
    status: {
      ...fx.service.status!,
      lastFailures: [
        { task: 'hello-old', state: 'Failed' as const, exitCode: 1, output: 'older output', at: '2026-01-01T11:59:00Z' },
        { task: 'hello-new', state: 'Failed' as const, exitCode: 1, output: 'panic: no config', at: '2026-01-01T11:59:50Z' },
        { task: 'hello-lost', state: 'Lost' as const, at: '2026-01-01T11:59:55Z' },
      ],
    },
  };
  assert.match(describe(svc, {}, fx.NOW), /\n  10s +hello-new .*\n.*\nLast Output of hello-new:\n  panic: no config\n/);
});

test('safe containers: a template asking for more, a namespace allowing it, a task refused at start', () => {
  const svc = { ...fx.service, spec: { ...fx.service.spec, user: '1000:1000', readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] }, volumes: [{ hostPath: '/srv/data', containerPath: '/data', readOnly: true }] } };
  const out = describe(svc, {}, fx.NOW);
  assert.match(out, /\n  User: +1000:1000\n  Read-Only Root: +true\n  Capabilities: +\+NET_ADMIN\n  Volumes: +\/srv\/data -> \/data \(read-only\)\n/);
  const ns = { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'ops' }, spec: { weight: 1, allowCapabilities: ['NET_ADMIN', 'SYS_TIME'], allowHostPaths: ['/srv/data'] } };
  assert.match(describe(ns, {}, fx.NOW), /\n  Allow Capabilities: +NET_ADMIN, SYS_TIME\n  Allow Host Paths: +\/srv\/data\n/);
  const refused = { ...fx.pendingTask, status: { state: 'Failed' as const, reason: 'Forbidden', allowed: { capabilities: [], hostPaths: [] } } };
  assert.match(describe(refused, {}, fx.NOW), /\n  Reason: +Forbidden\n(?:.*\n)*  Allowed: +<nothing beyond the default>\n/);
});
