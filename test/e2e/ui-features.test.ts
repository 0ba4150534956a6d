/**
 * The web UI's views in a real browser (Debian's chromium driven by playwright-core) against a
 * real server (and a standby), etcd and Docker agent, the page never reloaded:
 *
 *   overview ── the leader and the standby, from GET /api/v1/servers
 *   task log ── opened from a service's task row, followed live: a line the container prints
 *               after the view opened appears, at most MAX_LINES lines stay in the page, and
 *               leaving the route aborts the stream
 *   graph ───── a service and two jobs in a chain, drawn left to right with their edges
 *   service ─── during a rollout a bar per revision; when it ends, one
 *   nodes ───── Drain cordons the node in etcd and deletes its service tasks
 *
 * The containers wait on a gate (an HTTP server of this test on loopback: the containers use
 * host networking) so that what they print, and when the new revision turns healthy, is the
 * test's to decide. Every wait is a condition; screenshots go to .run/test-artifacts/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node, Task } from '../../pkg/api/types.js';
import { ROOT } from '../helpers/agent.js';
import { buildUi, launchChromium, newPage } from '../helpers/browser.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { freePort } from '../helpers/etcd.js';
import { getService, isHealthy, isLive, serviceTasks, spawnServer, startCluster, stowctl, TASK, until, type Cluster, type ServerProc } from '../helpers/stowage.js';
import { MAX_LINES } from '../../ui/src/log-lines.js';

const ARTIFACTS = resolve(ROOT, '.run/test-artifacts');
const WAIT = { timeout: 60_000, polling: 100 };
const NODE = lookupKind('Node')!;

/** What the containers wait for: GET /<name> answers 200 once the test opened that gate, 503 before. */
async function startGates(): Promise<{ port: number; open: (name: string) => void; server: Server }> {
  const opened = new Set<string>();
  const server = createServer((req, res) => res.writeHead(opened.has((req.url ?? '/').slice(1)) ? 200 : 503).end());
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, open: (name) => void opened.add(name), server };
}

const apply = async (c: Cluster, yaml: string) => {
  const r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: yaml });
  assert.equal(r.code, 0, r.err + r.out);
};

describe('web UI e2e: servers, task log, graph, rollout bars and drain in Chromium against a real cluster', () => {
  let c: Cluster;
  let standby: ServerProc;
  let gates: Awaited<ReturnType<typeof startGates>>;
  let browser: Browser;
  let page: Page;
  let dropUi: (() => void) | undefined;
  const node = testNodeName('uifeat');
  const errors: string[] = [];
  const noReload = async () => assert.equal(await page.evaluate(() => (window as unknown as { loadMark?: number }).loadMark), 1, 'the page was not reloaded');

  before(async () => {
    ensureDocker();
    mkdirSync(ARTIFACTS, { recursive: true });
    dropUi = buildUi();
    gates = await startGates();
    c = await startCluster({ nodes: [node] });
    standby = await spawnServer(c.etcd.endpoint, [], [], { until: 'leader-known' });
    browser = await launchChromium();
    page = await newPage(browser, errors, { height: 900 });
    if (process.env.UI_DEBUG) {
      page.on('request', (r) => r.url().includes('/api/') && console.log(Date.now(), 'request', r.url()));
      page.on('requestfailed', (r) => console.log(Date.now(), 'failed', r.url(), r.failure()?.errorText));
    }
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await standby?.stop();
    await c?.stop();
    gates?.server.close();
    dropUi?.();
  });

  it('the overview lists the leader and the standby that would take over', async () => {
    await page.goto(`${c.server.url}/#/`, { waitUntil: 'domcontentloaded' });
    await page.evaluate(() => ((window as unknown as { loadMark: number }).loadMark = 1));
    const id = (s: ServerProc) => `${hostname()}/${s.child.pid}@${s.url.slice('http://'.length)}`;
    const shown = await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('[data-server]')].map((li) => [li.getAttribute('data-server'), li.getAttribute('data-role')]);
        return rows.length === 2 ? rows : false;
      },
      null,
      WAIT,
    );
    assert.deepEqual(await shown.jsonValue(), [
      [id(c.server), 'leader'],
      [id(standby), 'standby'],
    ]);
    assert.match(await page.locator(`[data-server="${id(c.server)}"]`).innerText(), /this server/);
    await page.locator('.servers').screenshot({ path: join(ARTIFACTS, 'ui-servers.png') });
  });

  it("a task's log, opened from its row, shows what the container prints after the view opened; leaving stops the stream", async () => {
    await apply(
      c,
      `apiVersion: stowage/v1
kind: Service
metadata: {name: talker}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo waiting for the gate; until wget -q -O /dev/null http://127.0.0.1:${gates.port}/log; do sleep 0.2; done; echo after the gate; i=0; while [ $i -lt ${MAX_LINES + 500} ]; do echo line $i; i=$((i+1)); done; echo the end; exec sleep 600"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
  killGracePeriodSeconds: 1
`,
    );
    await page.evaluate(() => (location.hash = '#/services/default/talker'));
    const row = await page.waitForFunction(() => [...document.querySelectorAll('tr[data-task]')].find((tr) => tr.querySelector('[data-col="state"]')?.textContent === 'Running')?.getAttribute('data-task'), null, WAIT);
    const task = (await row.jsonValue()) as string;
    await page.click(`tr[data-task="${task}"] a[href$="/log"]`);
    await page.waitForFunction((t) => location.hash === `#/tasks/default/${t}/log`, task, WAIT);
    const log = `[data-log="default/${task}"]`;
    await page.waitForFunction((sel) => document.querySelector('[data-log-state]')?.getAttribute('data-log-state') === 'following' && document.querySelector(sel)?.textContent?.includes('waiting for the gate'), log, WAIT);
    assert.ok(!(await page.locator(log).innerText()).includes('after the gate'), 'the gate is still shut');

    gates.open('log');
    await page.waitForFunction((sel) => document.querySelector(sel)?.lastElementChild?.textContent === 'the end', log, WAIT);
    const lines = await page.evaluate((sel) => [...document.querySelector(sel)!.children].map((d) => d.textContent), log);
    assert.equal(lines.length, MAX_LINES, `at most ${MAX_LINES} lines stay in the page`);
    assert.deepEqual(lines.slice(-3), [`line ${MAX_LINES + 498}`, `line ${MAX_LINES + 499}`, 'the end'], 'the newest lines, in order');
    assert.match(await page.locator('main').innerText(), /older ones were dropped from the page/);
    await page.screenshot({ path: join(ARTIFACTS, 'ui-task-log.png'), fullPage: true });

    const aborted: Request[] = [];
    page.on('requestfailed', (r) => r.url().includes(`/tasks/default/${task}/log?follow=1`) && aborted.push(r));
    await page.evaluate(() => (location.hash = '#/graph'));
    await until('the followed log request aborted after the route changed', () => aborted.length > 0, 15_000);
    await noReload();
  });

  it('the graph draws a service and two jobs in a chain, left to right, each box linking to its page', async () => {
    await apply(
      c,
      `apiVersion: stowage/v1
kind: Service
metadata: {name: store}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec sleep 600"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
  killGracePeriodSeconds: 1
---
apiVersion: stowage/v1
kind: Job
metadata: {name: load}
spec:
  parents: [service/store]
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo loaded"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
---
apiVersion: stowage/v1
kind: Job
metadata: {name: sum}
spec:
  parents: [load]
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo summed"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
`,
    );
    await page.evaluate(() => (location.hash = '#/graph'));
    // the chain runs: store ready, then load, then sum; each box turns good
    await page.waitForFunction(
      () => ['service/store', 'job/load', 'job/sum'].every((n) => document.querySelector(`[data-graph-node="${n}"]`)?.getAttribute('data-tone') === 'good'),
      null,
      WAIT,
    );
    const edges = await page.evaluate(() => [...document.querySelectorAll('[data-edge]')].map((e) => e.getAttribute('data-edge')).sort());
    assert.deepEqual(edges, ['job/load>job/sum', 'service/store>job/load']);
    assert.equal(await page.locator('[data-graph-node="service/talker"]').count(), 0, 'a service without dependencies is left out');
    const x = async (n: string) => (await page.locator(`[data-graph-node="${n}"] rect`).boundingBox())!.x;
    const [xs, xl, xm] = [await x('service/store'), await x('job/load'), await x('job/sum')];
    assert.ok(xs < xl && xl < xm, `left to right: store ${xs}, load ${xl}, sum ${xm}`);
    assert.match((await page.locator('[data-graph-node="job/sum"]').textContent()) ?? '', /last Succeeded/);
    await page.screenshot({ path: join(ARTIFACTS, 'ui-graph.png'), fullPage: true });
    await page.click('[data-graph-node="job/load"]');
    await page.waitForFunction(() => location.hash === '#/jobs/default/load' && document.querySelector('h1')?.textContent?.startsWith('Job load') && document.querySelector('[data-col="schedule-words"]')?.textContent === 'after service/store is ready', null, WAIT);
    await noReload();
  });

  it('during a rollout the service page shows a bar per revision, then one when it is done', async () => {
    const roll = (rev: number, health = '') => `apiVersion: stowage/v1
kind: Service
metadata: {name: roll}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec sleep 600"]
  env: {REV: "${rev}"}
  resources: {cpus: 0.1, mem: 16, disk: 0}
  killGracePeriodSeconds: 1
  upgradeStrategy: {minimumHealthCapacity: 1, maximumOverCapacity: 0.5}
${health}`;
    await apply(c, roll(1));
    await until('revision 1 healthy', async () => (await serviceTasks(c.store, 'roll')).filter(isHealthy).length === 2, 45_000);
    await page.evaluate(() => (location.hash = '#/services/default/roll'));
    await page.waitForFunction(() => document.querySelectorAll('li.rev').length === 1 && document.querySelector('li.rev[data-revision="1"]')?.getAttribute('data-ready') === '2', null, WAIT);
    // revision 2 turns healthy only once the gate opens: until then the rollout holds half way
    await apply(c, roll(2, `  healthChecks:\n    - {protocol: COMMAND, command: ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${gates.port}/rollout"], gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 100000}\n`));
    await page.waitForFunction(
      () => {
        const bars = [...document.querySelectorAll('li.rev')];
        const cur = bars.find((b) => b.getAttribute('data-current') === '1');
        const old = bars.find((b) => b.getAttribute('data-revision') === '1');
        return bars.length === 2 && cur?.getAttribute('data-revision') === '2' && cur.getAttribute('data-target') === '2' && cur.getAttribute('data-running') === '1' && cur.getAttribute('data-ready') === '0' && old?.getAttribute('data-ready') === '2';
      },
      null,
      WAIT,
    );
    assert.match(await page.locator('#revisions').innerText(), /Rollout of revision 2/);
    // and the events stream, which stepped aside for the log and the servers list, is back
    await page.waitForFunction(() => document.querySelector('#events')?.parentElement?.textContent?.includes('rolling out revision 2'), null, WAIT);
    assert.equal((await getService(c.store, 'roll'))?.status?.deployment?.state, 'progressing');
    await page.screenshot({ path: join(ARTIFACTS, 'ui-rollout.png'), fullPage: true });

    gates.open('rollout');
    await page.waitForFunction(
      () => {
        const bars = [...document.querySelectorAll('li.rev')];
        return bars.length === 1 && bars[0]!.getAttribute('data-revision') === '2' && bars[0]!.getAttribute('data-ready') === '2' && document.querySelector('.facts')?.textContent?.includes('complete');
      },
      null,
      WAIT,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'ui-rollout-done.png'), fullPage: true });
    await noReload();
  });

  it("Drain on the nodes page cordons the node in etcd and deletes its service tasks", async () => {
    const before = (await c.store.list<Task>(TASK, 'default')).items.map((i) => i.object).filter((t) => isLive(t) && t.status?.nodeName === node && t.spec.owner?.startsWith('service/'));
    assert.ok(before.length >= 3, `service tasks on the node: ${before.map((t) => t.metadata.name).join(', ')}`);
    await page.evaluate(() => (location.hash = '#/nodes'));
    await page.click(`[data-action="drain-${node}"]`);
    await page.click('dialog[open] [data-confirm]');
    await page.waitForFunction((n) => !document.querySelector('dialog[open]') && !!document.querySelector(`[data-node="${n}"] .badge.warn`) && !!document.querySelector(`[data-action="uncordon-${n}"]`), node, WAIT);
    assert.equal((await c.store.get<Node>(NODE, undefined, node))?.object.spec.unschedulable, true);
    const names = new Set((await c.store.list<Task>(TASK, 'default')).items.map((i) => i.object.metadata.name));
    assert.deepEqual(before.filter((t) => names.has(t.metadata.name)).map((t) => t.metadata.name), [], 'the drained tasks are gone');
    await page.screenshot({ path: join(ARTIFACTS, 'ui-drained.png'), fullPage: true });
    await noReload();
    assert.deepEqual(errors, [], 'no errors in the page');
  });
});
