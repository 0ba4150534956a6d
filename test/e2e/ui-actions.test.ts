/**
 * The web UI's actions in a real browser (Debian's chromium driven by playwright-core) against a
 * real server, etcd and Docker agent, the page never reloaded: Scale in the service page's confirm
 * dialog (driven from the keyboard) writes spec.instances to etcd and the page shows the new
 * count; a refused value shows the API's field and rule and writes nothing; the job page's
 * "Run now" creates a manual run that appears in the page; Cordon on the nodes page sets
 * spec.unschedulable. Every wait is a condition (waitForFunction / until).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi, launchChromium, newPage } from '../helpers/browser.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { JobRun, Node, Service } from '../../pkg/api/types.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { startCluster, stowctl, until, type Cluster } from '../helpers/stowage.js';

const WAIT = { timeout: 30_000, polling: 100 };
const SERVICE = lookupKind('Service')!;
const JOBRUN = lookupKind('JobRun')!;
const NODE = lookupKind('Node')!;

const manifests = `apiVersion: stowage/v1
kind: Service
metadata: {name: web}
spec:
  instances: 1
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec sleep 600"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
  killGracePeriodSeconds: 1
---
apiVersion: stowage/v1
kind: Job
metadata: {name: report}
spec:
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "echo report done"]
  resources: {cpus: 0.1, mem: 16, disk: 0}
`;

const noReload = async (page: Page) => assert.equal(await page.evaluate(() => (window as unknown as { loadMark?: number }).loadMark), 1, 'the page was not reloaded');

describe('web UI e2e: actions in Chromium against a real cluster', () => {
  let c: Cluster;
  let browser: Browser;
  let page: Page;
  let dropUi: (() => void) | undefined;
  const node = testNodeName('uiact');
  const errors: string[] = [];

  before(async () => {
    ensureDocker();
    dropUi = buildUi();
    c = await startCluster({ nodes: [node] });
    const r = await stowctl(c.server.url, ['apply', '-f', '-'], { stdin: manifests });
    assert.equal(r.code, 0, r.err + r.out);
    browser = await launchChromium();
    // the refused scale is a 422 the browser logs as a failed resource load: expected, not a page error
    page = await newPage(browser, errors, { ignore: /status of 422/ });
    await page.goto(`${c.server.url}/#/services/default/web`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('.facts[data-service="default/web"]') && document.querySelector('.link.live'), null, WAIT);
    await page.evaluate(() => ((window as unknown as { loadMark: number }).loadMark = 1));
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await c?.stop();
    dropUi?.();
  });

  const instancesInEtcd = async () => (await c.store.get<Service>(SERVICE, 'default', 'web'))?.object.spec.instances;

  it('Scale refused by the API: the dialog shows the field and rule, and etcd keeps spec.instances', async () => {
    await page.click('[data-action="scale"]');
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'instances', null, WAIT);
    await page.fill('dialog[open] input[name="instances"]', '-1');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /spec\.instances \[minimum\]/.test(document.querySelector('dialog[open] [role="alert"]')?.textContent ?? ''), null, WAIT);
    assert.equal(await instancesInEtcd(), 1);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('dialog[open]') && document.activeElement?.getAttribute('data-action') === 'scale', null, WAIT);
  });

  it('Scale in the page changes spec.instances in etcd and the page shows the new count', async () => {
    // the previous test saw focus return to the Scale button; this one does not depend on it
    await page.focus('[data-action="scale"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'instances', null, WAIT);
    await page.fill('dialog[open] input[name="instances"]', '2');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('dialog[open]') && document.querySelector('.facts[data-service="default/web"] [data-col="instances"]')?.textContent === '2', null, WAIT);
    assert.equal(await instancesInEtcd(), 2);
    await noReload(page);
  });

  it('Run now on the job page creates a manual run that appears in the page', async () => {
    await page.evaluate(() => (location.hash = '#/jobs/default/report'));
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.startsWith('Job report') && document.querySelector('[data-action="run"]'), null, WAIT);
    const manual = async () => (await c.store.list<JobRun>(JOBRUN, 'default')).items.filter((i) => i.object.spec.trigger === 'manual').map((i) => i.object.metadata.name);
    assert.deepEqual(await manual(), []);
    await page.click('[data-action="run"]');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-confirm') === '1', null, WAIT);
    await page.keyboard.press('Enter');
    const run = await until('the manual run in etcd', async () => (await manual())[0], 15_000);
    await page.waitForFunction((name) => !document.querySelector('dialog[open]') && !!document.querySelector(`tr[data-run="${name}"]`), run, WAIT);
    await noReload(page);
  });

  it('Cordon on the nodes page sets spec.unschedulable and the page shows it', async () => {
    await page.evaluate(() => (location.hash = '#/nodes'));
    await page.click(`[data-action="cordon-${node}"]`);
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-confirm') === '1', null, WAIT);
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => !document.querySelector('dialog[open]') && !!document.querySelector(`[data-node="${n}"] .badge.warn`) && !!document.querySelector(`[data-action="uncordon-${n}"]`), node, WAIT);
    assert.equal((await c.store.get<Node>(NODE, undefined, node))?.object.spec.unschedulable, true);
    await noReload(page);
    assert.deepEqual(errors, [], 'no errors in the page');
  });
});
