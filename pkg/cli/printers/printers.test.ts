import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatObjects } from './output.js';
import { renderTable, StreamingTable } from './table.js';
import * as fx from './fixtures.js';
import { addressesCell, endpointsTable } from './endpoints.js';
import { describe } from './describe.js';
import type { Endpoints } from '../../api/types.js';

const NOW = fx.NOW;

test('renderTable aligns columns with three spaces and leaves the last unpadded', () => {
  assert.equal(renderTable(['NAME', 'AGE'], [['a', '5s'], ['longer-name', '3m']]), 'NAME          AGE\na             5s\nlonger-name   3m\n');
});

test('services table, and -o wide', async () => {
  assert.equal(
    await formatObjects([fx.service], { kind: 'Service', now: NOW }),
    'NAME    INSTANCES   RUNNING   HEALTHY   DEPLOYMENT    AGE\n' +
    'hello   3           3         2         progressing   5m\n',
  );
  const wide = await formatObjects([fx.service], { kind: 'Service', output: 'wide', now: NOW });
  assert.match(wide.split('\n')[0]!, /^NAME +INSTANCES +RUNNING +HEALTHY +DEPLOYMENT +AGE +READY +IMAGE +REVISION +SERVICE-PORTS$/);
  assert.match(wide.split('\n')[1]!, /progressing +5m +<none> +localhost\/stowage-busybox:1 +2 +<none>$/, 'no readiness check: no READY count; no service port');
  const rc = { protocol: 'HTTP' as const, port: 'http', path: '/', intervalSeconds: 2, timeoutSeconds: 1, httpStatusCodesForReady: [200] };
  const withCheck = { ...fx.service, spec: { ...fx.service.spec, readinessChecks: [rc] }, status: { ...fx.service.status!, ready: 1 } };
  const wide2 = await formatObjects([withCheck], { kind: 'Service', output: 'wide', now: NOW });
  assert.match(wide2.split('\n')[1]!, /progressing +5m +1 +localhost\/stowage-busybox:1 +2 +<none>$/);
  const withPorts = { ...fx.service, spec: { ...fx.service.spec, ports: [{ name: 'http', servicePort: 10080 }, { name: 'admin' }, { name: 'grpc', servicePort: 10081 }] } };
  const wide3 = await formatObjects([withPorts], { kind: 'Service', output: 'wide', now: NOW });
  assert.match(wide3.split('\n')[1]!, / 2 +http:10080,grpc:10081$/);
});

test('endpoints table: a row per port, addresses shortened unless wide; describe shows them', async () => {
  const e: Endpoints = {
    apiVersion: 'stowage/v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
    ports: [
      { name: 'http', servicePort: 10080, addresses: Array.from({ length: 7 }, (_, i) => ({ host: '127.0.0.1', port: 31000 + i, task: `web-${i}`, node: 'n1' })) },
      { name: 'admin', addresses: [] },
    ],
  };
  assert.equal(
    endpointsTable([e], {}),
    'SERVICE   PORT    SERVICE-PORT   ADDRESSES\n' +
    'web       http    10080          127.0.0.1:31000,127.0.0.1:31001,127.0.0.1:31002,127.0.0.1:31003,127.0.0.1:31004 + 2 more...\n' +
    'web       admin   <none>         <none>\n',
  );
  const wide = endpointsTable([e], { wide: true, namespaceColumn: true }).split('\n');
  assert.match(wide[0]!, /^NAMESPACE +SERVICE +PORT +SERVICE-PORT +ADDRESSES +TASKS$/);
  assert.match(wide[1]!, /127\.0\.0\.1:31006 +web-0@n1,.*web-6@n1$/);
  assert.equal(addressesCell([{ host: '::1', port: 1, task: 't', node: 'n' }], false), '[::1]:1');
  const d = describe(fx.service, { endpoints: e }, NOW);
  assert.match(d, /Endpoints:\n  PORT +SERVICE-PORT +ADDRESSES\n  http +10080 +127\.0\.0\.1:31000,.*127\.0\.0\.1:31006\n  admin +<none> +<none>\n/);
});

test('tasks table: ports, pending task placeholders; wide has owner, short container id, reason', async () => {
  assert.equal(
    await formatObjects([fx.runningTask, fx.pendingTask], { kind: 'Task', now: NOW }),
    'NAME                STATE     HEALTH    NODE     PORTS                    AGE\n' +
    'hello-7f9c2-abcde   Running   Healthy   node-1   http:31000,admin:31001   2m5s\n' +
    'hello-7f9c2-zzzzz   Pending   <none>    <none>   <none>                   7s\n',
  );
  const wide = (await formatObjects([fx.runningTask, fx.pendingTask], { kind: 'Task', output: 'wide', now: NOW })).split('\n');
  assert.match(wide[0]!, /AGE +OWNER +CONTAINER +REASON$/);
  assert.match(wide[1]!, /service\/hello +0123456789ab +<none>$/);
  assert.match(wide[2]!, /service\/hello +<none> +0\/2 nodes fit: 2 constraint hostname UNIQUE$/);
});

test('nodes table: cordoned state, allocated/capacity without float noise, task count', async () => {
  assert.equal(
    await formatObjects([fx.node], { kind: 'Node', now: NOW }),
    'NAME     STATE                      CPUS    MEM       DISK      TASKS   AGE\n' +
    'node-1   Ready,SchedulingDisabled   0.3/2   96/2048   0/10000   2       4d\n',
  );
});

test('jobs, jobruns, namespaces and events tables', async () => {
  assert.equal(
    await formatObjects([fx.job], { kind: 'Job', now: NOW }),
    'NAME     SCHEDULE        SUSPEND   ACTIVE   LAST RUN   LAST RESULT   NEXT RUN\n' +
    'report   */2 * * * * *   False     1        1s         Succeeded     in 2s\n',
  );
  assert.equal(
    await formatObjects([fx.jobRun], { kind: 'JobRun', now: NOW }),
    'NAME                STATE     SLOT                   LATENESS   DURATION   ATTEMPTS\n' +
    'report-1767268798   Running   2026-01-01T11:59:58Z   0.12s      1.88s      1\n',
  );
  assert.equal(
    await formatObjects([fx.namespace], { kind: 'Namespace', now: NOW }),
    'NAME     WEIGHT   QUOTA             AGE\nteam-a   2        cpus=4,mem=4096   10d\n',
  );
  assert.equal(
    await formatObjects([fx.event], { kind: 'Event', now: NOW }),
    'LAST SEEN   TYPE      REASON      OBJECT          COUNT   MESSAGE\n' +
    '30s         Warning   Unhealthy   service/hello   4       task hello-7f9c2-abcde failed 3 health checks\n',
  );
});

test('-A puts a NAMESPACE column first', async () => {
  const other = { ...fx.service, metadata: { ...fx.service.metadata, namespace: 'team-a', name: 'api' } };
  const out = await formatObjects([fx.service, other], { kind: 'Service', namespaceColumn: true, now: NOW });
  const lines = out.split('\n');
  assert.match(lines[0]!, /^NAMESPACE +NAME +INSTANCES/);
  assert.match(lines[1]!, /^default +hello +3/);
  assert.match(lines[2]!, /^team-a +api +3/);
});

test('-o json: one object as itself, several as a List; -o name', async () => {
  const one = JSON.parse(await formatObjects([fx.service], { kind: 'Service', output: 'json', single: true, now: NOW }));
  assert.equal(one.kind, 'Service');
  assert.equal(one.metadata.name, 'hello');
  const list = JSON.parse(await formatObjects([fx.service], { kind: 'Service', output: 'json', now: NOW }));
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 1);
  assert.equal(await formatObjects([fx.service, fx.runningTask], { kind: 'Service', output: 'name', now: NOW }), 'service/hello\ntask/hello-7f9c2-abcde\n');
});

test('-o yaml prints the object as YAML', async () => {
  const y = await formatObjects([fx.service], { kind: 'Service', output: 'yaml', single: true, now: NOW });
  assert.match(y, /^apiVersion: stowage\/v1\nkind: Service\nmetadata:\n  name: hello\n/);
  const l = await formatObjects([fx.service], { kind: 'Service', output: 'yaml', now: NOW });
  assert.match(l, /^apiVersion: stowage\/v1\nkind: List\n/);
});

test('StreamingTable keeps the first widths and grows for longer cells', () => {
  let s = '';
  const t = new StreamingTable(['NAME', 'STATE'], (x) => (s += x));
  t.start([['a', 'Running']]);
  t.row(['much-longer-name', 'Killed']);
  assert.equal(s, 'NAME   STATE\na      Running\nmuch-longer-name   Killed\n');
});
