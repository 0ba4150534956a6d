/**
 * A real Prometheus on a real Stowage: /metrics of the server and of a Docker
 * agent pass `promtool check metrics` with nothing to say; hack/prometheus.sh
 * starts Debian's prometheus, which finds the server and the agent through
 * the server's http_sd (/api/v1/sd/targets), scrapes Stowage series, loads
 * and evaluates every rule without error, scrapes an agent started after it
 * without any config change, and sees that agent's node go NotReady (the
 * StowageNodeNotReady alert pending) after the agent is killed.
 *
 *   hack/prometheus.sh ──► prometheus ──http_sd──► stowage server ──► etcd
 *                               │ scrape (1 s)        ▲
 *                               └──────────────► agent A, agent B (Docker)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node } from '../../pkg/api/types.js';
import { ROOT } from '../helpers/agent.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { freePort } from '../helpers/etcd.js';
import { startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const run = promisify(execFile);
const NODE = lookupKind('Node')!;
const HACK = resolve(ROOT, 'hack/prometheus.sh');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('Prometheus scrapes Stowage (hack/prometheus.sh, http_sd, rules)', () => {
  let c: Cluster;
  const nodeA = testNodeName('prom-a');
  const nodeB = testNodeName('prom-b');
  let prom = '';
  let port = 0;
  let env: NodeJS.ProcessEnv;

  const query = async (q: string): Promise<Sample[]> => {
    const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { status: string; data?: { result: Sample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
    return body.data!.result;
  };
  /** Wait until the query answers at least one series. */
  const seen = (q: string, timeoutMs = 30_000) => until(`Prometheus to answer ${q}`, async () => ((await query(q)).length > 0 ? query(q) : undefined), timeoutMs, 250);
  const agentAddress = async (node: string) => (await c.store.get<Node>(NODE, undefined, node))?.object.spec.address;

  before(async () => {
    ensureDocker();
    execFileSync(resolve(ROOT, 'hack/install-deps.sh'), ['prometheus'], { stdio: 'inherit', timeout: 600_000 });
    c = await startCluster({ nodes: [nodeA] });
    port = await freePort();
    prom = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      STOWAGE_SERVER: c.server.url,
      PROMETHEUS_LISTEN: `127.0.0.1:${port}`,
      PROMETHEUS_SCRAPE_INTERVAL: '1s',
      PROMETHEUS_SD_REFRESH: '1s',
    };
  });

  after(async () => {
    if (env) await run(HACK, ['stop', '--purge'], { cwd: ROOT, env, timeout: 30_000 }).catch((e) => console.log(`# prometheus stop: ${e}`));
    await c?.stop();
  });

  it("the server's and the agent's /metrics pass promtool check metrics with nothing to say", async () => {
    const addr = await until('agent A registered with its address', () => agentAddress(nodeA));
    for (const [who, url] of [['server', `${c.server.url}/metrics`], ['agent', `http://${addr}/metrics`]] as const) {
      const text = await (await fetch(url)).text();
      assert.match(text, /^stowage_/m, `${who} serves Stowage metrics`);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
      assert.equal(check.status, 0, `${who}: promtool: ${check.stdout}${check.stderr}`);
      assert.equal(check.stdout + check.stderr, '', `${who}: promtool has something to say`);
      // each process exports what it owns (pkg/metrics/registries.test.ts has the full split)
      const foreign = who === 'server' ? /^# TYPE (stowage_agent_\S+|stowage_task_\S+)/gm : /^# TYPE (stowage_(?:leader|reconcile|workqueue|scheduler|job|cluster|api|service)_?\S*)/gm;
      assert.deepEqual([...text.matchAll(foreign)].map((m) => m[1]), [], `${who} exports another process's families`);
    }
  });

  it('hack/prometheus.sh start: ready, prints its URL, finds the server and the agent through the API and scrapes them', async () => {
    const applied = await stowctl(c.server.url, ['apply', '-f', '-'], {
      stdin: `apiVersion: stowage/v1
kind: Service
metadata: {name: prom-sleeper}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec sleep 1000"]
  resources: {cpus: 0.5, mem: 32}
  killGracePeriodSeconds: 1
`,
    });
    assert.equal(applied.code, 0, applied.err);
    const t0 = Date.now();
    const r = await run(HACK, ['start'], { cwd: ROOT, env, timeout: 120_000 });
    assert.equal(r.stdout.trim(), prom);
    assert.match(r.stderr, /Prometheus started on/);
    const ready = await fetch(`${prom}/-/ready`);
    assert.equal(ready.status, 200);
    const server = await seen('up{job="stowage-server"} == 1');
    assert.deepEqual(server.map((s) => s.metric.instance), [c.server.url.slice('http://'.length)]);
    await seen(`up{job="stowage-agent",node="${nodeA}"} == 1`);
    console.log(`# server and agent up in Prometheus ${Date.now() - t0} ms after start`);
    await seen('stowage_leader{job="stowage-server"} == 1');
    await seen(`stowage_node_ready{job="stowage-server",node="${nodeA}"} == 1`);
    await seen(`stowage_agent_tasks{job="stowage-agent",node="${nodeA}",state="Running"} == 1`);
    await seen('stowage_cluster_allocated_cpus{job="stowage-server"} == 0.5');
    await seen('stowage_service_launch_failures{service="prom-sleeper"} == 0');
    await seen('stowage_etcd_request_duration_seconds_count{job="stowage-agent",op="txn"} > 0');
  });

  it("Prometheus holds neither the start lock nor its starter's output, and a second start reloads it at once", async () => {
    const pid = readFileSync(resolve(ROOT, `.run/prometheus-${port}.pid`), 'utf8').trim();
    const fd = (n: string) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${n}`);
      } catch {
        return '';
      }
    };
    const fds = readdirSync(`/proc/${pid}/fd`).map(fd);
    assert.ok(fds.some((f) => f.includes(`prometheus-${port}/data`)), `read the descriptors of prometheus ${pid}: ${fds.join(' ')}`);
    // stdin, stdout and stderr its own, not a pipe of whoever started it (that one's output would never end)
    const log = resolve(ROOT, `.run/prometheus-${port}/log`);
    assert.deepEqual([fd('0'), fd('1'), fd('2')], ['/dev/null', log, log]);
    assert.deepEqual(fds.filter((f) => f.endsWith('.lock')), [], 'no start lock held open');
    const t0 = Date.now();
    const r = await run(HACK, ['start'], { cwd: ROOT, env, timeout: 30_000 });
    assert.equal(r.stdout.trim(), prom);
    assert.match(r.stderr, new RegExp(`already running on ${prom} \\(pid ${pid}\\): reloaded its config`));
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
  });

  it('every rule of rules.yml is loaded and evaluates without error on real data', async () => {
    const groups = await until('the rules evaluated', async () => {
      const body = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
      };
      const g = body.data.groups;
      return g.length > 0 && g.every((x) => x.rules.every((r) => !r.lastEvaluation.startsWith('0001'))) && g;
    }, 30_000, 250);
    assert.deepEqual(groups.map((g) => g.name), ['stowage']);
    const rules = groups[0]!.rules;
    // every rule of the file, recording and alerting: none was dropped on load
    const file = load(readFileSync(resolve(ROOT, 'manifests/prometheus/rules.yml'), 'utf8')) as { groups: { rules: { record?: string; alert?: string }[] }[] };
    assert.deepEqual(rules.map((x) => x.name), file.groups.flatMap((g) => g.rules.map((r) => (r.record ?? r.alert)!)));
    assert.deepEqual(rules.filter((x) => x.health !== 'ok').map((x) => `${x.name}: ${x.health} ${x.lastError}`), []);
  });

  it('an agent started after Prometheus is scraped without editing any config', async () => {
    await c.startAgent(nodeB);
    await seen(`up{job="stowage-agent",node="${nodeB}"} == 1`);
  });

  it("a killed agent's node turns NotReady in Prometheus and StowageNodeNotReady is pending for it", async () => {
    await c.agents.get(nodeB)!.stop('SIGKILL');
    await seen(`stowage_node_ready{node="${nodeB}"} == 0`);
    await until('StowageNodeNotReady pending or firing for the killed node', async () => {
      const body = (await (await fetch(`${prom}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return body.data.alerts.some((a) => a.labels.alertname === 'StowageNodeNotReady' && a.labels.node === nodeB);
    }, 30_000, 250);
    const ready = await query(`stowage_node_ready{node="${nodeA}"}`);
    assert.deepEqual(ready.map((s) => s.value[1]), ['1'], 'the other node stays Ready');
  });
});
