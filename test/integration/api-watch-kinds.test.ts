/**
 * The watch of several kinds, GET /api/v1/watch?kinds=..., on a real
 * `bin/stowage server` and etcd:
 *
 *   - the initial list holds every object of every kind asked for, all at one
 *     revision, and ends with `event: LISTED`; each event's object names its kind;
 *   - changes of different kinds come interleaved in etcd's revision order,
 *     also when many land in one fan-out of the watch cache;
 *   - Last-Event-ID (or resourceVersion) resumes every kind at once with
 *     exactly the changes after it, from the cache's window and, on a server
 *     started since (its window begins later), replayed from etcd;
 *   - a client that stops reading is cut off with TooSlow and resumes from
 *     the last id it got without missing a change of any kind;
 *   - bad kinds are a 400 naming the field, a compacted R is 410.
 *
 * The test holds leadership itself, so no loop writes: the streams are exact.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { lookupKind, type KindInfo } from '../../pkg/api/kinds.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { openSse, type SseEvent, type SseStream } from '../helpers/sse.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;
const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const EVENT = lookupKind('Event')!;
const KINDS = 'nodes,services,tasks,events';
const PATH = `/api/v1/watch?kinds=${KINDS}&namespace=mk`;

const obj = (kind: KindInfo, name: string, extra: Record<string, unknown> = {}): AnyResource =>
  ({ apiVersion: 'stowage/v1', kind: kind.kind, metadata: { name, ...(kind.namespaced ? { namespace: 'mk' } : {}) }, spec: { n: 0, ...extra } }) as unknown as AnyResource;

/** [event, kind, name, id] of each event: what the stream said, compactly. */
const brief = (events: SseEvent[]) =>
  events.map((e) => {
    if (e.event === 'LISTED' || e.event === 'ERROR') return [e.event, '', '', e.id ?? ''];
    const o = JSON.parse(e.data) as AnyResource;
    return [e.event, o.kind, o.metadata.name, e.id ?? ''];
  });

/** Order kept, except events of one revision (one transaction) put in kind order: that order is not promised. */
const byRevision = (xs: string[][]) => xs.map((x, i) => [x, i] as const).sort(([a, i], [b, j]) => (a[3] === b[3] ? a[1]!.localeCompare(b[1]!) : i - j)).map(([x]) => x);

describe('watch of several kinds (GET /api/v1/watch?kinds=...)', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let election: Election;
  let server: ServerProc;
  let second: ServerProc | undefined;
  const streams: SseStream[] = [];
  const open = async (base: string, path: string, o?: Parameters<typeof openSse>[2]) => {
    const s = await openSse(base, path, o);
    streams.push(s);
    return s;
  };
  const metric = async (url: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await call(url, 'GET', '/metrics')).text)?.[1]);
  /** What the test wrote, in order: [type, Kind, name, revision]. */
  const wrote: string[][] = [];
  const statusRevs = new Map<string, string>();
  const putStatus = async (kind: KindInfo, name: string, status: unknown) => {
    const ns = kind.namespaced ? 'mk' : undefined;
    const rev = await store.putStatus(kind, ns, name, status, statusRevs.get(`${kind.plural}/${name}`) ?? '0');
    statusRevs.set(`${kind.plural}/${name}`, rev);
    return rev;
  };

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    election = new Election(client, { ttl: 2, identity: 'test-leader' }, nopLogger);
    const elected = new Promise((r) => election.once('elected', r));
    await election.start();
    await elected;
    server = await spawnServer(etcd.endpoint, ['--watch-queue-bytes', '256Ki'], [], { built: true, until: 'leader-known' });
  });

  after(async () => {
    for (const s of streams) s.close();
    await second?.stop();
    await server?.stop();
    await election?.stop();
    client?.close();
    etcd?.stop();
  });

  it('lists every kind at one revision, ends the list with LISTED, and names each kind', async () => {
    await store.create(NODE, obj(NODE, 'n1'));
    await store.create(SERVICE, obj(SERVICE, 's1'));
    await store.create(TASK, obj(TASK, 't1'));
    await store.create(EVENT, obj(EVENT, 'e1'));
    // another namespace: left out by the filter, which cluster-scoped nodes ignore
    await store.create(SERVICE, { ...obj(SERVICE, 'elsewhere'), metadata: { name: 'elsewhere', namespace: 'other' } } as AnyResource);
    // an object stored without `kind` is named by its key
    await client.put('/stowage/jobs/mk/j1').value(JSON.stringify({ apiVersion: 'stowage/v1', metadata: { name: 'j1', namespace: 'mk', uid: 'u' }, spec: {} }));
    const head = String((await client.get('/stowage/').exec()).header.revision);
    const w = await open(server.url, `/api/v1/watch?kinds=${KINDS},jobs&namespace=mk`);
    await w.until('the list', () => w.events.some((e) => e.event === 'LISTED'));
    assert.ok(w.comments.includes(`watching ${KINDS},jobs from revision ${head}`), w.comments.join('|'));
    assert.deepEqual(brief(w.events), [
      ['ADDED', 'Node', 'n1', head],
      ['ADDED', 'Service', 's1', head],
      ['ADDED', 'Task', 't1', head],
      ['ADDED', 'Event', 'e1', head],
      ['ADDED', 'Job', 'j1', head],
      ['LISTED', '', '', head],
    ]);
    assert.deepEqual(JSON.parse(w.events.at(-1)!.data), { resourceVersion: head, objects: 5 });
  });

  it('interleaves the kinds in revision order, many changes in one fan-out too; a resume from any id gives exactly the rest', async () => {
    const w = await open(server.url, PATH);
    await w.until('the list', () => w.events.some((e) => e.event === 'LISTED'));
    const listed = w.events.length;
    const names = ['n1', 's1', 't1', 'e1'];
    const kinds = [NODE, SERVICE, TASK, EVENT];
    // one at a time, then 40 at once (they reach the server's cache together), then one transaction of two kinds
    for (let i = 0; i < 8; i++) wrote.push(['MODIFIED', kinds[i % 4]!.kind, names[i % 4]!, await putStatus(kinds[i % 4]!, names[i % 4]!, { i })]);
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => store.create(kinds[i % 4]!, obj(kinds[i % 4]!, `b${i}`)).then((r) => ['ADDED', kinds[i % 4]!.kind, `b${i}`, r.specRev])));
    wrote.push(...burst.sort((a, b) => Number(BigInt(a[3]!) - BigInt(b[3]!))));
    const txn = store.txn();
    Store.addPutStatus(txn, TASK, 'mk', 't1', { state: 'Running', nodeName: 'n1' }, statusRevs.get('tasks/t1')!);
    Store.addPutStatus(txn, NODE, undefined, 'n1', { state: 'Ready', tasks: { 'mk/t1': {} } }, statusRevs.get('nodes/n1')!);
    const both = (await txn.commit()).revision;
    statusRevs.set('tasks/t1', both);
    statusRevs.set('nodes/n1', both);
    wrote.push(['MODIFIED', 'Node', 'n1', both], ['MODIFIED', 'Task', 't1', both]);
    await store.remove(SERVICE, 'mk', 'b1');
    wrote.push(['DELETED', 'Service', 'b1', String((await client.get('/stowage/').exec()).header.revision)]);

    await w.until('every change', () => w.events.length === listed + wrote.length);
    const got = brief(w.events.slice(listed));
    // one transaction of two kinds is one revision: its two events may come in either order
    assert.deepEqual(byRevision(got), byRevision(wrote));
    const ids = got.map((g) => BigInt(g[3]!));
    assert.ok(ids.every((r, i) => i === 0 || r >= ids[i - 1]!), 'ids never go back');

    // resume from a few points, by Last-Event-ID and by resourceVersion: exactly the rest, every kind
    for (const k of [0, 7, 20, wrote.length - 3]) {
      const from = wrote[k]![3]!;
      const rest = wrote.filter((x) => BigInt(x[3]!) > BigInt(from));
      const byHeader = await open(server.url, PATH, { headers: { 'last-event-id': from } });
      const byQuery = await open(server.url, `${PATH}&resourceVersion=${from}`);
      for (const r of [byHeader, byQuery]) {
        await r.until(`the changes after ${from}`, () => r.events.length >= rest.length);
        assert.deepEqual(byRevision(brief(r.events)), byRevision(rest), `resumed from ${from}`);
        r.close();
      }
    }
  });

  it('a server started since (its window begins later) replays the changes after R of every kind from etcd, then goes on live', async () => {
    const R = wrote[10]![3]!;
    const rest = wrote.filter((x) => BigInt(x[3]!) > BigInt(R));
    second = await spawnServer(etcd.endpoint, [], [], { built: true, until: 'leader-known' });
    const warm = await open(second.url, PATH); // starts the second server's cache: its window begins now
    await warm.until('the list', () => warm.events.some((e) => e.event === 'LISTED'));
    const w = await open(second.url, `${PATH}&resourceVersion=${R}`);
    await w.until('the replayed changes', () => w.events.length >= rest.length);
    assert.deepEqual(byRevision(brief(w.events)), byRevision(rest));
    await until('the replay to hand the stream to the cache', async () => (await metric(second!.url, 'stowage_api_watch_replays')) === 0, 10_000);
    const t = await store.create(TASK, obj(TASK, 'late'));
    const s = await putStatus(SERVICE, 's1', { late: true });
    await w.until('the live changes', () => w.events.length === rest.length + 2);
    assert.deepEqual(brief(w.events.slice(rest.length)), [
      ['ADDED', 'Task', 'late', t.specRev],
      ['MODIFIED', 'Service', 's1', s],
    ]);
    wrote.push(['ADDED', 'Task', 'late', t.specRev], ['MODIFIED', 'Service', 's1', s]);
  });

  it('a client that stops reading is cut off (TooSlow) and resumes from its last id without missing a change of any kind', async () => {
    const pad = 'x'.repeat(32 * 1024);
    const slow = await open(server.url, PATH, { paused: true });
    const fast = await open(server.url, PATH);
    await fast.until('the list', () => fast.events.some((e) => e.event === 'LISTED'));
    const listed = fast.events.length;
    const ids: string[] = [];
    const cut = async () => metric(server.url, 'stowage_api_watch_cut_total');
    for (let i = 0; i < 3000 && (await cut()) === 0; i++) {
      const [kind, name] = i % 2 === 0 ? [SERVICE, 's1'] : [NODE, 'n1'];
      ids.push(await putStatus(kind, name, { i, pad }));
    }
    assert.equal(await cut(), 1, `the client that stopped reading was cut off (${ids.length} writes)`);
    await fast.until('every change on the reading client', () => fast.events.length === listed + ids.length);
    assert.deepEqual(fast.events.slice(listed).map((e) => e.id), ids);

    slow.resume();
    await slow.until('the end of the cut-off stream', () => slow.ended, 20_000);
    const last = slow.events.at(-1)!;
    assert.equal(last.event, 'ERROR');
    assert.equal(JSON.parse(last.data).code, 'TooSlow');
    const got = slow.events.slice(0, -1);
    const listEnd = got.findIndex((e) => e.event === 'LISTED');
    assert.ok(listEnd >= 0, 'the list was written before the cut');
    const changes = got.slice(listEnd + 1);
    assert.ok(changes.length < ids.length, `a part of the changes before the cut: ${changes.length} of ${ids.length}`);
    assert.deepEqual(changes.map((e) => e.id), ids.slice(0, changes.length), 'in order, none skipped');
    const lastId = got.at(-1)!.id!;
    const again = await open(server.url, PATH, { headers: { 'last-event-id': lastId } });
    const rest = ids.filter((r) => BigInt(r) > BigInt(lastId));
    await again.until('the rest', () => again.events.length === rest.length);
    assert.deepEqual(again.events.map((e) => e.id), rest);
    assert.deepEqual(again.events.map((e) => (JSON.parse(e.data) as AnyResource).kind), rest.map((_, i) => ((ids.length - rest.length + i) % 2 === 0 ? 'Service' : 'Node')));
  });

  it('answers bad kinds with 400 naming the field, a compacted R with 410, a write with 400', async () => {
    const none = await call(server.url, 'GET', '/api/v1/watch');
    assert.equal(none.status, 400);
    assert.deepEqual(none.json.details, [{ field: 'kinds', rule: 'required', message: 'no kind given' }]);
    const bad = await call(server.url, 'GET', '/api/v1/watch?kinds=nodes,pods');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'kinds: unknown kind "pods"; known kinds: namespaces, nodes, services, jobs, jobruns, tasks, events, secrets');
    assert.deepEqual(bad.json.details, [{ field: 'kinds', rule: 'enum', message: 'unknown kind "pods"' }]);
    const post = await call(server.url, 'POST', '/api/v1/watch?kinds=nodes', {});
    assert.equal(post.status, 400);
    assert.equal(post.json.message, 'POST is not supported on /api/v1/watch');
    const sub = await call(server.url, 'GET', '/api/v1/watch/nodes');
    assert.equal(sub.status, 404);

    const old = wrote[0]![3]!;
    const now = String((await client.get('/stowage/').exec()).header.revision);
    await client.kv.compact({ revision: now, physical: true });
    const gone = await call(server.url, 'GET', `${PATH}&resourceVersion=${old}`);
    assert.equal(gone.status, 410);
    assert.equal(gone.json.code, 'Gone');
  });
});
