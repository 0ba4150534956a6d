/**
 * Each process exports what it owns: the exposition of the agent's registry
 * has no family only the server sets (loops, scheduler, jobs, API, cluster
 * state) and the server's none only the agent sets; what both do (etcd,
 * Events) and the process metrics are in both; both pass `promtool check
 * metrics` with nothing to say.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentRegistry, collectDefaults, serverRegistry } from './metrics.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Who owns a stowage_* family. A new metric must be placed here: the test fails on one it cannot place. */
const SHARED = new Set(['stowage_etcd_request_duration_seconds', 'stowage_etcd_refused_total', 'stowage_events_dropped_total']);
const SERVER_ONLY = [
  /^stowage_api_/,
  /^stowage_leader/,
  /^stowage_reconcile_/,
  /^stowage_workqueue_/,
  /^stowage_fenced_writes_refused_total$/,
  /^stowage_scheduler_/,
  /^stowage_service_/,
  /^stowage_job_/,
  /^stowage_cluster_/,
  /^stowage_node_ready$/,
  /^stowage_etcd_(compacted_revision|db_size_bytes|quota_bytes)$/,
];
const AGENT_ONLY = [/^stowage_agent_/, /^stowage_task_/, /^stowage_node_(cpu|memory)_usage_/];

const owner = (family: string): 'shared' | 'server' | 'agent' | undefined =>
  SHARED.has(family) ? 'shared' : SERVER_ONLY.some((r) => r.test(family)) ? 'server' : AGENT_ONLY.some((r) => r.test(family)) ? 'agent' : undefined;

/** The families an exposition declares (its # TYPE lines). */
const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!);

describe('the server and agent registries', () => {
  collectDefaults(serverRegistry);
  collectDefaults(agentRegistry);

  it("the agent's /metrics has no server-only family, the server's no agent-only one; shared ones are in both", async () => {
    const server = families(await serverRegistry.metrics());
    const agent = families(await agentRegistry.metrics());
    const unplaced = [...server, ...agent].filter((f) => f.startsWith('stowage_') && owner(f) === undefined);
    assert.deepEqual(unplaced, [], 'a new metric: say whose it is in SERVER_ONLY, AGENT_ONLY or SHARED');
    assert.deepEqual(agent.filter((f) => owner(f) === 'server'), [], 'server-only families on the agent');
    assert.deepEqual(server.filter((f) => owner(f) === 'agent'), [], 'agent-only families on the server');
    for (const f of SHARED) {
      assert.ok(server.includes(f), `${f} on the server`);
      assert.ok(agent.includes(f), `${f} on the agent`);
    }
    // each side really has its own (the split did not leave one empty)
    for (const f of ['stowage_reconcile_total', 'stowage_workqueue_wait_seconds', 'stowage_scheduler_placement_failures_total', 'stowage_job_runs_total', 'stowage_leader']) {
      assert.ok(server.includes(f), `${f} on the server`);
    }
    for (const f of ['stowage_agent_task_start_seconds', 'stowage_agent_runtime_operation_duration_seconds', 'stowage_agent_health_checks_total', 'stowage_agent_readiness_checks_total']) {
      assert.ok(agent.includes(f), `${f} on the agent`);
    }
  });

  it('both have the process metrics, without the gauges promtool flags', async () => {
    for (const [who, r] of [['server', serverRegistry], ['agent', agentRegistry]] as const) {
      const f = families(await r.metrics());
      for (const m of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) assert.ok(f.includes(m), `${who}: ${m}`);
      assert.deepEqual(f.filter((m) => m.startsWith('nodejs_active_') && m.endsWith('_total')), [], `${who}: gauges named like counters`);
    }
  });

  it('both expositions pass promtool check metrics with nothing to say', async () => {
    if (spawnSync('sh', ['-c', 'command -v promtool']).status !== 0) {
      const inst = spawnSync(resolve(ROOT, 'hack/install-deps.sh'), ['prometheus'], { stdio: 'inherit', timeout: 600_000 });
      assert.equal(inst.status, 0, 'promtool is not installed and hack/install-deps.sh prometheus failed');
    }
    for (const [who, r] of [['server', serverRegistry], ['agent', agentRegistry]] as const) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: await r.metrics(), encoding: 'utf8', timeout: 30_000 });
      assert.equal(check.status, 0, `${who}: promtool: ${check.stdout}${check.stderr}`);
      assert.equal(check.stdout + check.stderr, '', `${who}: promtool has something to say`);
    }
  });
});
