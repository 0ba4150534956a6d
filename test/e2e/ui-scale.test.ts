/**
 * The web UI with a long list, in Debian's chromium against a real server and etcd with
 * hollow nodes (the sim driver: this is a scale test): 3,000 tasks on 200 nodes. The tasks
 * page draws far fewer rows than there are tasks, and still shows a task found by scrolling
 * (the mouse's way and the keyboard's: End in the list) and by filtering; the overview's
 * list of nodes is drawn the same way and sorts busiest first.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { API_VERSION, type Node, type Service, type Task } from '../../pkg/api/types.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { spawnAgent, type AgentProc } from '../helpers/agent.js';
import { buildUi, launchChromium, newPage } from '../helpers/browser.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { TASK, spawnServer, until, type ServerProc } from '../helpers/stowage.js';

const NODE = lookupKind('Node')!;
const NODES = 200;
const TASKS = 3000;
const WAIT = { timeout: 60_000, polling: 100 };
/** Rows in the page for a list in view: a screenful and the overscan, far fewer than the list. */
const FEW = 120;

describe('web UI e2e: long lists draw only the rows in view', () => {
  let etcd: TestEtcd;
  let store: Store;
  let client: ReturnType<typeof newEtcdClient>;
  let server: ServerProc;
  let agent: AgentProc;
  let browser: Browser;
  let page: Page;
  let dropUi: (() => void) | undefined;
  let names: string[] = [];
  const errors: string[] = [];
  const rows = () => page.evaluate(() => document.querySelectorAll('tr[data-task]').length);
  const shown = (name: string) => page.evaluate((n) => !!document.querySelector(`tr[data-task="${n}"]`), name);

  before(async () => {
    dropUi = buildUi();
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    server = await spawnServer(etcd.endpoint, ['--log-level', 'warn']);
    agent = await spawnAgent(['--etcd', etcd.endpoint, '--driver', 'sim', '--nodes', String(NODES), '--node-prefix', 'scale-', '--cpus', '4', '--mem', '4096', '--disk', '1000'], { readyTimeoutMs: 120_000 });
    await until(`${NODES} nodes Ready`, async () => (await store.list<Node>(NODE)).items.filter((n) => n.object.status?.state === 'Ready').length === NODES, 120_000, 500);
    const svc: Service = {
      apiVersion: API_VERSION,
      kind: 'Service',
      metadata: { name: 'many', namespace: 'default' },
      spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', 'infinity'], instances: TASKS, resources: { cpus: 0.05, mem: 8, disk: 0 } } as unknown as Service['spec'],
    };
    const r = await fetch(`${server.url}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [svc] }) });
    assert.equal(r.status, 200, await r.text());
    await until(`${TASKS} tasks Running`, async () => (await store.list<Task>(TASK)).items.filter((t) => t.object.status?.state === 'Running').length === TASKS, 300_000, 1000);
    names = (await store.list<Task>(TASK)).items.map((t) => t.object.metadata.name).sort();
    browser = await launchChromium();
    page = await newPage(browser, errors);
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await agent?.stop('SIGKILL');
    await server?.stop();
    client?.close();
    etcd?.stop();
    dropUi?.();
  });

  it('the tasks page draws a few dozen rows for 3,000 tasks, and shows the last one once scrolled to', async () => {
    await page.goto(`${server.url}/#/tasks`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction((n) => document.querySelector('[data-col="shown"]')?.textContent === `all ${n}` && document.querySelectorAll('tr[data-task]').length > 0, TASKS, WAIT);
    const first = await rows();
    assert.ok(first > 10 && first < FEW, `${first} rows in the page for ${TASKS} tasks`);
    assert.ok(await shown(names[0]!), 'the first task (name order) is in view');
    const last = names.at(-1)!;
    assert.equal(await shown(last), false, 'the last task is not drawn before it is scrolled to');

    // the mouse's way: the scroll box to its end
    await page.evaluate(() => {
      const box = document.querySelector('.vscroll')!;
      box.scrollTop = box.scrollHeight;
    });
    await page.waitForFunction((n) => !!document.querySelector(`tr[data-task="${n}"]`), last, WAIT);
    assert.equal(await shown(names[0]!), false, 'the first rows are let go');
    assert.ok((await rows()) < FEW, `still few rows: ${await rows()}`);
    const inView = await page.evaluate((n) => {
      const box = document.querySelector('.vscroll')!.getBoundingClientRect();
      const r = document.querySelector(`tr[data-task="${n}"]`)!.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom + 1;
    }, last);
    assert.ok(inView, 'the last row is inside the visible part of the list');

    // the keyboard's way: Home in the focused list goes back to the top
    await page.focus('.vscroll');
    await page.keyboard.press('Home');
    await page.waitForFunction((n) => !!document.querySelector(`tr[data-task="${n}"]`), names[0]!, WAIT);
  });

  it('filtering finds a task from the middle of the list', async () => {
    const mid = names[Math.floor(names.length / 2)]!;
    assert.equal(await shown(mid), false);
    await page.fill('input[type="search"]', mid);
    await page.waitForFunction((n) => !!document.querySelector(`tr[data-task="${n}"]`) && document.querySelector('[data-col="shown"]')?.textContent === `1 of ${3000}`, mid, WAIT);
    assert.equal(await rows(), 1);
    await page.fill('input[type="search"]', '');
    await page.waitForFunction((n) => document.querySelector('[data-col="shown"]')?.textContent === `all ${n}`, TASKS, WAIT);
  });

  it("the overview's list of nodes draws only the rows in view, busiest first", async () => {
    await page.evaluate(() => (location.hash = '#/'));
    await page.waitForFunction((n) => document.querySelector('[data-col="nodes-ready"]')?.textContent === `${n} / ${n}` && document.querySelector('[data-node]'), NODES, WAIT);
    const drawn = await page.evaluate(() => [...document.querySelectorAll('[aria-labelledby="ov-nodes"] [data-node]')].map((e) => e.getAttribute('data-node')!));
    assert.ok(drawn.length > 3 && drawn.length < 60, `${drawn.length} node rows in the page for ${NODES} nodes`);
    // busiest first: the drawn rows' largest allocated share never grows down the list
    const nodes = new Map((await store.list<Node>(NODE)).items.map((n) => [n.object.metadata.name, n.object]));
    const busy = drawn.map((name) => {
      const n = nodes.get(name)!;
      const cap = n.status?.capacity ?? n.spec.capacity;
      const al = n.status?.allocated;
      return Math.max((al?.cpus ?? 0) / cap.cpus, (al?.mem ?? 0) / cap.mem, (al?.disk ?? 0) / (cap.disk || Infinity));
    });
    for (let i = 1; i < busy.length; i++) assert.ok(busy[i]! <= busy[i - 1]! + 1e-9, `row ${i} (${drawn[i]}) is not busier than row ${i - 1}: ${busy.join(', ')}`);
    assert.deepEqual(errors, [], 'no errors in the page');
  });
});
