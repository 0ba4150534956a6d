/**
 * The web UI against a server with --tokens, in Chromium: the API answers 401, so the page
 * asks for a token; a viewer of namespace a signs in, and the services page draws a's
 * service and nothing of b, live (a service added after sign-in appears); the token is in
 * sessionStorage only; "sign out" forgets it and the form comes back. No Docker needed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildUi, launchChromium, newPage } from '../helpers/browser.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { rememberSecrets } from '../helpers/suite-scan.js';

const WAIT = { timeout: 30_000, polling: 100 };
const ADMIN = randomBytes(24).toString('hex');
const VIEWER = randomBytes(24).toString('hex');
rememberSecrets(ADMIN, VIEWER);
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const svc = (name: string, namespace: string) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { instances: 0, image: 'localhost/stowage-busybox:1', command: ['sleep', '1000'], resources: { cpus: 0.1, mem: 16 } },
});

describe('web UI with --tokens: the token prompt, a namespace-scoped view, sign out', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let browser: Browser;
  let page: Page;
  let dropUi: (() => void) | undefined;
  let dir: string;
  // the page's own 401s are logged by the browser as failed loads: expected here
  const errors: string[] = [];
  const admin = (path: string, body: unknown) => call(server.url, 'POST', path, body, { headers: { authorization: `Bearer ${ADMIN}` } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stowage-ui-auth-'));
    writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n  - {user: alice, role: admin, sha256: ${sha(ADMIN)}}\n  - {user: carol, role: viewer, namespaces: [a], sha256: ${sha(VIEWER)}}\n`);
    dropUi = buildUi();
    etcd = await startEtcd();
    server = await spawnServer(etcd.endpoint, ['--tokens', join(dir, 'tokens.yaml')]);
    for (const [name, ns] of [['web-a', 'a'], ['web-b', 'b']]) assert.equal((await admin('/api/v1/services', svc(name!, ns!))).status, 201);
    browser = await launchChromium();
    page = await newPage(browser, errors, { ignore: /401 \(Unauthorized\)/ });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    etcd?.stop();
    dropUi?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a token, then draws only what the token may see, live', async () => {
    await page.goto(`${server.url}/#/services`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('form.signin input[type=password]', WAIT);
    await page.fill('form.signin input[type=password]', VIEWER);
    await page.click('form.signin button[type=submit]');
    await page.waitForFunction(() => document.body.innerText.includes('web-a') && document.querySelector('.link.live'), null, WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('stowage-token')), VIEWER);
    assert.equal(await page.evaluate(() => localStorage.getItem('stowage-token')), null, 'not in localStorage');
    assert.equal((await admin('/api/v1/services', svc('later-a', 'a'))).status, 201);
    assert.equal((await admin('/api/v1/services', svc('later-b', 'b'))).status, 201);
    await page.waitForFunction(() => document.body.innerText.includes('later-a'), null, WAIT);
    const text = await page.evaluate(() => document.body.innerText);
    assert.ok(!text.includes('web-b') && !text.includes('later-b'), 'nothing of namespace b is drawn');
    assert.deepEqual(errors, []);
  });

  it('sign out forgets the token and asks again', async () => {
    await page.click('button.signout');
    await page.waitForSelector('form.signin', WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('stowage-token')), null);
    assert.ok(!(await page.evaluate(() => document.body.innerText)).includes('web-a'));
  });
});
