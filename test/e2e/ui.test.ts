/**
 * The web UI in a real browser (Debian's chromium driven by playwright-core, nothing
 * downloaded) against a real server, etcd and Docker agent: the page, loaded once and never
 * reloaded, shows a service's instances turning healthy after `stowctl apply`, the
 * replacement after a `docker kill` of one of its containers, and a job's run; its links and
 * theme button are reached and used from the keyboard. Every wait is a condition in the page
 * (waitForFunction); screenshots go to .run/test-artifacts/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildUi, launchChromium, newPage } from '../helpers/browser.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { JobRun } from '../../pkg/api/types.js';
import { ROOT } from '../helpers/agent.js';
import { dockerCli, ensureDocker, testNodeName } from '../helpers/docker.js';
import { isHealthy, serviceTasks, startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const ARTIFACTS = resolve(ROOT, '.run/test-artifacts');
const WAIT = { timeout: 45_000, polling: 100 };
const JOBRUN = lookupKind('JobRun')!;

const service = `apiVersion: stowage/v1
kind: Service
metadata: {name: web}
spec:
  instances: 2
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
  killGracePeriodSeconds: 1
  healthChecks:
    - {protocol: HTTP, port: http, path: /, gracePeriodSeconds: 3, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2}
---
apiVersion: stowage/v1
kind: Job
metadata: {name: report}
spec:
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo report done"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
`;

/** The text of a service's figure on its page (data-col = instances | running | healthy | ready). */
const figure = (page: Page, col: string) => page.evaluate((c) => document.querySelector(`.facts[data-service="default/web"] [data-col="${c}"]`)?.textContent ?? null, col);

describe('web UI e2e: live in Chromium against a real cluster', () => {
  let c: Cluster;
  let browser: Browser;
  let page: Page;
  let dropUi: (() => void) | undefined;
  const node = testNodeName('ui');
  const errors: string[] = [];

  before(async () => {
    ensureDocker();
    mkdirSync(ARTIFACTS, { recursive: true });
    dropUi = buildUi();
    c = await startCluster({ nodes: [node] });
    browser = await launchChromium();
    page = await newPage(browser, errors);
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await c?.stop();
    dropUi?.();
  });

  it('after apply, the service page shows its instances turning healthy, without reload', async () => {
    await page.goto(`${c.server.url}/#/services/default/web`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.body.innerText.includes('waiting for it to appear') && document.querySelector('.link.live'), null, WAIT);
    // a mark that a reload would wipe; and every healthy figure the page shows, in order
    await page.evaluate(() => {
      const w = window as unknown as { loadMark: number; healthySeen: string[] };
      w.loadMark = 1;
      w.healthySeen = [];
      new MutationObserver(() => {
        const v = document.querySelector('.facts[data-service="default/web"] [data-col="healthy"]')?.textContent;
        if (v != null && w.healthySeen[w.healthySeen.length - 1] !== v) w.healthySeen.push(v);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: service });
    assert.equal(r.code, 0, r.err + r.out);
    await page.waitForFunction(
      () => {
        const healthy = document.querySelector('.facts[data-service="default/web"] [data-col="healthy"]')?.textContent;
        const rows = [...document.querySelectorAll('tr[data-task]')].filter((tr) => tr.querySelector('[data-col="state"]')?.textContent === 'Running' && tr.querySelector('[data-col="health"]')?.textContent === 'Healthy');
        return healthy === '2' && rows.length === 2;
      },
      null,
      WAIT,
    );
    const seen = await page.evaluate(() => (window as unknown as { healthySeen: string[] }).healthySeen);
    assert.equal(seen[0], '0', `the page showed the service before its tasks were healthy: ${seen.join(' -> ')}`);
    assert.equal(seen[seen.length - 1], '2');
    assert.equal(await figure(page, 'instances'), '2');
    assert.equal(await page.evaluate(() => (window as unknown as { loadMark?: number }).loadMark), 1, 'the page was not reloaded');
    await page.screenshot({ path: join(ARTIFACTS, 'ui-service.png'), fullPage: true });
  });

  it('a docker kill of one container: the page shows the replacement, healthy', async () => {
    const before = (await serviceTasks(c.store, 'web')).filter(isHealthy);
    assert.equal(before.length, 2);
    const victim = before[0]!;
    dockerCli(['kill', victim.status!.containerId!]);
    const names = before.map((t) => t.metadata.name);
    await page.waitForFunction(
      ([victimName, old]) => {
        // no named functions in here: tsx would wrap them in a __name() the page does not have
        const rows = [...document.querySelectorAll('tr[data-task]')];
        const victimRow = rows.find((tr) => tr.getAttribute('data-task') === victimName);
        const fresh = rows.filter((tr) => !old.includes(tr.getAttribute('data-task')!) && tr.querySelector('[data-col="state"]')?.textContent === 'Running' && tr.querySelector('[data-col="health"]')?.textContent === 'Healthy');
        const gone = !victimRow || victimRow.querySelector('[data-col="state"]')?.textContent !== 'Running';
        return fresh.length === 1 && gone && document.querySelector('.facts[data-service="default/web"] [data-col="healthy"]')?.textContent === '2';
      },
      [victim.metadata.name, names] as [string, string[]],
      WAIT,
    );
    const after = (await serviceTasks(c.store, 'web')).filter(isHealthy).map((t) => t.metadata.name);
    const shown = await page.evaluate(() => [...document.querySelectorAll('tr[data-task]')].filter((tr) => tr.querySelector('[data-col="state"]')?.textContent === 'Running').map((tr) => tr.getAttribute('data-task')));
    assert.deepEqual([...shown].sort(), [...after].sort(), 'the page shows the tasks etcd has');
    assert.ok(!after.includes(victim.metadata.name));
    assert.equal(await page.evaluate(() => (window as unknown as { loadMark?: number }).loadMark), 1, 'the page was not reloaded');
    await page.screenshot({ path: join(ARTIFACTS, 'ui-service-replaced.png'), fullPage: true });
  });

  it('the job page shows a run appearing and succeeding after `stowctl job run`', async () => {
    await page.evaluate(() => (location.hash = '#/jobs/default/report'));
    // a job without a schedule runs once when created: the page may list that run already
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.startsWith('Job report') && document.body.innerText.includes('Runs'), null, WAIT);
    const r = await stowctl(c.server.url, ['job', 'run', 'report', '--id', 'ui-e2e']);
    assert.equal(r.code, 0, r.err + r.out);
    const run = await until(
      'the manual run in etcd',
      async () => (await c.store.list<JobRun>(JOBRUN, 'default')).items.find((i) => i.object.metadata.labels?.['stowage/job'] === 'report' && i.object.spec.trigger === 'manual')?.object.metadata.name,
      15_000,
    );
    await page.waitForFunction((name) => document.querySelector(`tr[data-run="${name}"] [data-col="state"]`)?.textContent === 'Succeeded', run, WAIT);
    assert.equal(await page.evaluate(() => (window as unknown as { loadMark?: number }).loadMark), 1, 'the page was not reloaded');
    await page.screenshot({ path: join(ARTIFACTS, 'ui-job.png'), fullPage: true });
    // the overview, and the same at phone width in the dark theme, for the record
    await page.evaluate(() => (location.hash = '#/'));
    await page.waitForFunction(() => document.body.innerText.includes('Recent warnings') && !!document.querySelector('[data-node]') && !!document.querySelector('tr[data-job="default/report"]'), null, WAIT);
    await page.screenshot({ path: join(ARTIFACTS, 'ui-overview.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no errors in the page');
  });

  it('keyboard: Tab reaches the pages and the theme button, which switches dark and light', async () => {
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
    }
    for (const want of ['Overview', 'Services', 'Jobs', 'Tasks', 'Nodes', 'Events', 'theme: auto']) assert.ok(reached.includes(want), `Tab reaches ${want}: ${reached.join(' | ')}`);
    for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.textContent?.trim())) !== 'theme: auto'; i++) await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark' && getComputedStyle(document.body).backgroundColor === 'rgb(18, 20, 23)', null, WAIT);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, 'ui-overview-phone-dark.png'), fullPage: true });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light' && getComputedStyle(document.body).backgroundColor === 'rgb(246, 247, 249)', null, WAIT);
    assert.deepEqual(errors, [], 'no errors in the page');
  });
});
