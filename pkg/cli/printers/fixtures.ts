/** Objects as the server returns them, for printer tests. */
import type { Event, Job, JobRun, Namespace, Node, Service, Task } from '../../api/types.js';

export const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const meta = (name: string, ageS: number, namespace: string | null = 'default') => ({
  name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, resourceVersion: '42', generation: 2, creationTimestamp: ago(ageS),
});

export const service: Service = {
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { ...meta('hello', 300), labels: { app: 'hello' } },
  spec: {
    instances: 3, image: 'localhost/stowage-busybox:1', command: ['/bin/sh', '-c', 'exec httpd -f -p $PORT0 -h /www'],
    env: { GREETING: 'hello' }, resources: { cpus: 0.1, mem: 32, disk: 0 }, ports: [{ name: 'http' }],
    constraints: [['hostname', 'UNIQUE']],
    healthChecks: [{ protocol: 'HTTP', port: 'http', path: '/', gracePeriodSeconds: 5, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
    progressDeadlineSeconds: 600, backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 300,
  },
  status: {
    instances: 3, running: 3, healthy: 2, observedGeneration: 2,
    deployment: { state: 'progressing', revision: 2 },
    conditions: [{ type: 'Available', status: 'False', reason: 'NotEnoughHealthy', message: '2/3 healthy' }],
  },
};

export const runningTask: Task = {
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { ...meta('hello-7f9c2-abcde', 125), labels: { 'stowage/owner': 'service/hello' } },
  spec: { owner: 'service/hello', image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 32, disk: 0 } },
  status: { state: 'Running', health: 'Healthy', nodeName: 'node-1', ports: { http: 31000, admin: 31001 }, containerId: '0123456789abcdef0123' },
};

export const pendingTask: Task = {
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { ...meta('hello-7f9c2-zzzzz', 7), labels: { 'stowage/owner': 'service/hello' } },
  spec: { owner: 'service/hello', image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 32, disk: 0 } },
  status: { state: 'Pending', pendingReason: '0/2 nodes fit: 2 constraint hostname UNIQUE' },
};

export const node: Node = {
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: meta('node-1', 4 * 86400, null),
  spec: { capacity: { cpus: 2, mem: 2048, disk: 10000 }, portRanges: [{ begin: 31000, end: 32000 }], attributes: { hostname: 'node-1' }, unschedulable: true },
  status: {
    state: 'Ready', capacity: { cpus: 2, mem: 2048, disk: 10000 },
    allocated: { cpus: 0.30000000000000004, mem: 96, disk: 0, ports: 2 },
    tasks: { 'default/a': { cpus: 0.1, mem: 32, disk: 0, ports: [31000] }, 'default/b': { cpus: 0.2, mem: 64, disk: 0, ports: [31001] } },
  },
};

export const job: Job = {
  apiVersion: 'stowage/v1',
  kind: 'Job',
  metadata: meta('report', 3600),
  spec: { schedule: '*/2 * * * * *', image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 16, disk: 0 }, retries: 2, concurrencyPolicy: 'Forbid' },
  status: {
    lastScheduleTime: ago(2), active: ['report-1767268798'],
    lastRun: { name: 'report-1767268796', state: 'Succeeded', at: ago(1) }, nextRunTimes: [ago(-2), ago(-4)],
  },
};

export const jobRun: JobRun = {
  apiVersion: 'stowage/v1',
  kind: 'JobRun',
  metadata: { ...meta('report-1767268798', 2), labels: { 'stowage/job': 'report' } },
  spec: { job: 'report', slot: ago(2), trigger: 'schedule', template: job.spec, retries: 2 },
  status: { state: 'Running', slot: ago(2), attempts: 1, startedAt: ago(1.88), lateness: 0.12 },
};

export const namespace: Namespace = {
  apiVersion: 'stowage/v1',
  kind: 'Namespace',
  metadata: meta('team-a', 86400 * 10, null),
  spec: { weight: 2, quota: { cpus: 4, mem: 4096 } },
};

export const event: Event = {
  apiVersion: 'stowage/v1',
  kind: 'Event',
  metadata: meta('hello.abc', 30),
  spec: {
    type: 'Warning', reason: 'Unhealthy', message: 'task hello-7f9c2-abcde failed\n3 health checks',
    involvedObject: { kind: 'Service', namespace: 'default', name: 'hello', uid: 'uid-hello' },
    source: 'health', firstTimestamp: ago(90), lastTimestamp: ago(30), count: 4,
  },
};
