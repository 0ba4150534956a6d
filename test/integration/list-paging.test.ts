/**
 * Chunked lists against a real server and etcd: `limit` and `continue` give pages of one
 * snapshot, the first page's revision, whatever is written between the pages; a token
 * whose snapshot etcd compacted answers 410; bad parameters answer 400 naming them;
 * `stowctl get` pages through and prints one list.
 *
 *   test ──HTTP──► stowage server (standby: API only, nothing writes on its own) ──► etcd
 *     └── writes between pages, compaction ───────────────────────────────────────┘
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource, Task } from '../../pkg/api/types.js';
import { newTask } from '../helpers/agent.js';
import { call } from '../helpers/http.js';
import { startQuietServer, type QuietServer } from '../helpers/quiet-server.js';
import { stowctl } from '../helpers/stowage.js';

const TASK = lookupKind('Task')!;
const N = 1200;
const name = (i: number) => `t-${String(i).padStart(4, '0')}`;

interface ListAnswer {
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: AnyResource[];
}

/** Run f over xs, `width` at a time. */
async function inParallel<T>(xs: T[], width: number, f: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < xs.length) await f(xs[next++]!);
  }));
}

describe('lists that page', () => {
  let q: QuietServer;
  const get = async (query: string): Promise<ListAnswer> => {
    const a = await call(q.url, 'GET', `/api/v1/tasks?${query}`);
    assert.equal(a.status, 200, a.text);
    return a.json as ListAnswer;
  };
  /** Every page of a list, following continue, with the queries made. */
  const pages = async (query: string, between?: (page: number) => Promise<void>): Promise<ListAnswer[]> => {
    const out: ListAnswer[] = [];
    let cont: string | undefined;
    do {
      if (out.length > 0) await between?.(out.length);
      const p = await get(`${query}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      out.push(p);
      cont = p.metadata.continue;
    } while (cont);
    return out;
  };

  before(async () => {
    q = await startQuietServer();
    const tasks: Task[] = [];
    for (let i = 0; i < N; i++) {
      const t = newTask(name(i), {}, 'paged');
      t.metadata.labels = { ...t.metadata.labels, half: i % 2 ? 'odd' : 'even' };
      t.status = { state: 'Pending', message: `first ${i}` } as Task['status'];
      tasks.push(t);
    }
    for (let i = 0; i < 10; i++) tasks.push(newTask(`o-${i}`, {}, 'other'));
    await inParallel(tasks, 32, (t) => q.store.create(TASK, t));
  });
  after(() => q?.stop());

  it('gives 1,200 tasks in 3 pages of one snapshot while they change between pages', async () => {
    const before = await get('namespace=paged');
    assert.equal(before.items.length, N);
    const changed: string[] = [];
    const got = await pages('namespace=paged&limit=500', async (page) => {
      // after page 1: new tasks that sort into pages 2 and 3, deletes and status changes there
      const at = (i: number) => `${page}-${i}`;
      for (let i = 0; i < 20; i++) await q.store.create(TASK, newTask(`t-0${600 + i * 20}-new${at(i)}`, {}, 'paged'));
      for (let i = 0; i < 20; i++) {
        const n = name(N - 1 - page * 40 - i);
        await q.store.remove(TASK, 'paged', n);
        changed.push(n);
      }
      for (let i = 0; i < 20; i++) {
        const n = name(150 + page * 450 + i);
        const cur = (await q.store.get<Task>(TASK, 'paged', n))!;
        await q.store.putStatus(TASK, 'paged', n, { state: 'Running', message: 'changed' }, cur.statusRev);
      }
    });
    assert.deepEqual(got.map((p) => p.items.length), [500, 500, 200]);
    const rv = got[0]!.metadata.resourceVersion;
    for (const p of got) {
      assert.equal(p.kind, 'List');
      assert.equal(p.metadata.resourceVersion, rv, 'every page carries the first page\'s resourceVersion');
    }
    assert.equal(got[2]!.metadata.continue, undefined, 'the last page has no continue');
    const items = got.flatMap((p) => p.items);
    assert.deepEqual(items.map((o) => o.metadata.name), before.items.map((o) => o.metadata.name).sort(), 'the names of the snapshot, in key order, each once');
    for (const o of items) assert.match(String((o as Task).status?.message), /^first \d+$/, `${o.metadata.name} shows its status of the snapshot`);
    // the writes did happen: a list now sees them
    const now = await get('namespace=paged');
    assert.equal(now.items.length, N, '40 created, 40 deleted');
    assert.ok(!now.items.some((o) => o.metadata.name === changed[0]));
    assert.ok(BigInt(now.metadata.resourceVersion) > BigInt(rv));
  });

  it('pages all namespaces and with a label selector (full pages of matches)', async () => {
    const all = await pages('limit=500');
    const plain = await get('');
    assert.deepEqual(all.flatMap((p) => p.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)), plain.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const odd = await pages('namespace=paged&labelSelector=half%3Dodd&limit=250');
    const want = (await get('namespace=paged&labelSelector=half%3Dodd')).items.map((o) => o.metadata.name);
    assert.ok(want.length > 500);
    assert.deepEqual(odd.slice(0, -1).map((p) => p.items.length), odd.slice(0, -1).map(() => 250));
    assert.deepEqual(odd.flatMap((p) => p.items.map((o) => o.metadata.name)), want);
  });

  it('answers bad limit and continue with 400 naming the parameter, and another list\'s token too', async () => {
    for (const [query, msg] of [
      ['limit=0', 'limit: must be a whole number from 1 to 10000, got "0"'],
      ['limit=abc', 'limit: must be a whole number from 1 to 10000, got "abc"'],
      ['limit=10001', 'limit: must be a whole number from 1 to 10000, got "10001"'],
      ['limit=5&continue=%21%21', 'continue: not a continue token (base64url expected); pass the metadata.continue of the previous page as it was, or list again without continue'],
    ] as const) {
      const a = await call(q.url, 'GET', `/api/v1/tasks?namespace=paged&${query}`);
      assert.equal(a.status, 400, query);
      assert.equal(a.json.message, msg, query);
    }
    const first = await get('namespace=paged&limit=5');
    const other = await call(q.url, 'GET', `/api/v1/tasks?namespace=other&limit=5&continue=${first.metadata.continue}`);
    assert.equal(other.status, 400);
    assert.match(other.json.message, /^continue: the token continues another list \(tasks\/paged\), not this one \(tasks\/other\)/);
    const svc = await call(q.url, 'GET', `/api/v1/services?namespace=paged&limit=5&continue=${first.metadata.continue}`);
    assert.equal(svc.status, 400);
  });

  it('answers 410 Gone for a token whose snapshot etcd compacted', async () => {
    const first = await get('namespace=paged&limit=100');
    await q.store.create(TASK, newTask('t-after-first-page', {}, 'paged'));
    const rev = await q.revision();
    await q.client.kv.compact({ revision: rev, physical: true });
    const a = await call(q.url, 'GET', `/api/v1/tasks?namespace=paged&limit=100&continue=${first.metadata.continue}`);
    assert.equal(a.status, 410, a.text);
    assert.equal(a.json.code, 'Gone');
    assert.equal(
      a.json.message,
      `continue: the list's snapshot (resourceVersion ${first.metadata.resourceVersion}) is older than etcd keeps (compacted); list again from the first page, without continue`,
    );
    // a new first page works at once
    assert.equal((await get('namespace=paged&limit=100')).items.length, 100);
  });

  it('stowctl get pages through (--chunk-size) and prints one table and one List', async () => {
    const r = await stowctl(q.url, ['get', 'tasks', '-n', 'paged', '--chunk-size', '300', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as ListAnswer;
    const plain = await get('namespace=paged');
    assert.equal(list.kind, 'List');
    assert.equal(list.items.length, plain.items.length);
    const t = await stowctl(q.url, ['get', 'tasks', '-n', 'paged', '--chunk-size', '300', '-l', 'half=odd']);
    assert.equal(t.code, 0, t.err);
    const lines = t.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME /);
    assert.equal(lines.length - 1, plain.items.filter((o) => o.metadata.labels?.half === 'odd').length, 'one header, one row per task');
    const bad = await stowctl(q.url, ['get', 'tasks', '--chunk-size=-1']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--chunk-size must be >= 0/);
  });
});
