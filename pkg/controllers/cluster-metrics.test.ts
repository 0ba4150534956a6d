import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from '../api/types.js';
import { reportClusterState, serverRegistry } from '../metrics/metrics.js';
import { clusterState } from './cluster-metrics.js';

const node = (name: string, o: { ready?: boolean; cordoned?: boolean; unschedulable?: boolean; cpus?: number; mem?: number; allocCpus?: number; allocMem?: number } = {}): Node => ({
  apiVersion: 'stowage/v1',
  kind: 'Node',
  metadata: { name },
  spec: { capacity: { cpus: o.cpus ?? 4, mem: o.mem ?? 1024, disk: 100 }, portRanges: [], attributes: {}, ...(o.unschedulable ? { unschedulable: true } : {}) },
  status: {
    state: o.ready === false ? 'NotReady' : 'Ready',
    capacity: { cpus: o.cpus ?? 4, mem: o.mem ?? 1024, disk: 100 },
    allocated: { cpus: o.allocCpus ?? 0, mem: o.allocMem ?? 0, disk: 0, ports: 0 },
    ...(o.cordoned ? { cordoned: true } : {}),
  },
});

const service = (name: string, o: { failures?: number; deployment?: 'progressing' | 'complete' | 'failed'; namespace?: string } = {}): Service =>
  ({
    apiVersion: 'stowage/v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace ?? 'default' },
    spec: {},
    status: {
      instances: 1,
      running: 0,
      healthy: 0,
      ...(o.failures !== undefined ? { backoff: { failures: o.failures, hash: 'h' } } : {}),
      ...(o.deployment ? { deployment: { state: o.deployment, revision: 1 } } : {}),
    },
  }) as unknown as Service;

describe('clusterState', () => {
  it('counts capacity and allocation only on nodes that take tasks (Ready, not cordoned), memory in bytes', () => {
    const s = clusterState(
      [
        node('a', { cpus: 4, mem: 1024, allocCpus: 1.5, allocMem: 512 }),
        node('b', { cpus: 2, mem: 2048, allocCpus: 0.1, allocMem: 32 }),
        node('gone', { ready: false, cpus: 8, mem: 8192, allocCpus: 8, allocMem: 8192 }),
        node('drained', { cordoned: true, cpus: 8, allocCpus: 1 }),
        node('cordoned', { unschedulable: true, cpus: 8, allocCpus: 1 }),
      ],
      [],
    );
    assert.deepEqual(s.capacity, { cpus: 6, memoryBytes: 3072 * 1024 * 1024 });
    assert.deepEqual(s.allocated, { cpus: 1.6, memoryBytes: 544 * 1024 * 1024 });
    assert.deepEqual(s.nodes, [
      { name: 'a', ready: true },
      { name: 'b', ready: true },
      { name: 'gone', ready: false },
      { name: 'drained', ready: true },
      { name: 'cordoned', ready: true },
    ]);
  });
  it("reports each service's crash-loop count and whether its deployment failed", () => {
    const s = clusterState([], [service('web', { failures: 4, deployment: 'failed' }), service('db', { namespace: 'data', deployment: 'complete' })]);
    assert.deepEqual(s.services, [
      { namespace: 'default', name: 'web', launchFailures: 4, deploymentFailed: true },
      { namespace: 'data', name: 'db', launchFailures: 0, deploymentFailed: false },
    ]);
  });
});

describe('the cluster state gauges', () => {
  const lines = async () =>
    (await serverRegistry.metrics())
      .split('\n')
      .filter((l) => /^stowage_(node_ready|cluster_|service_launch_failures|service_deployment_failed)/.test(l))
      .sort();

  it('show what the reporter reads at scrape time, and nothing per object once it stops (a deposed leader)', async () => {
    let nodes = [node('a', { cpus: 4, mem: 1024, allocCpus: 3.7, allocMem: 1000 }), node('b', { ready: false })];
    const stop = reportClusterState(() => clusterState(nodes, [service('web', { failures: 3, deployment: 'failed' })]));
    assert.deepEqual(await lines(), [
      'stowage_cluster_allocated_cpus 3.7',
      `stowage_cluster_allocated_memory_bytes ${1000 * 1024 * 1024}`,
      'stowage_cluster_capacity_cpus 4',
      `stowage_cluster_capacity_memory_bytes ${1024 * 1024 * 1024}`,
      'stowage_node_ready{node="a"} 1',
      'stowage_node_ready{node="b"} 0',
      'stowage_service_deployment_failed{namespace="default",service="web"} 1',
      'stowage_service_launch_failures{namespace="default",service="web"} 3',
    ]);
    nodes = [node('a', { ready: false })];
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 1000 }); // the next scrape, past the one-read-per-scrape window
    try {
      assert.deepEqual((await lines()).filter((l) => l.startsWith('stowage_node_ready')), ['stowage_node_ready{node="a"} 0'], 'read again at the next scrape');
    } finally {
      mock.timers.reset();
    }
    stop();
    assert.deepEqual(await lines(), [
      'stowage_cluster_allocated_cpus 0',
      'stowage_cluster_allocated_memory_bytes 0',
      'stowage_cluster_capacity_cpus 0',
      'stowage_cluster_capacity_memory_bytes 0',
    ]);
  });
});
