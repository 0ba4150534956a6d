/**
 * The store's one stream, over a fake fetch (the logic only; the browser tests drive the
 * real thing): a fresh stream's list is shown whole at LISTED, never half; changes apply in
 * order and move `revision`; a stream that ends is opened again from that revision; a
 * refused resume (410) or a `Gone` starts over with a list while the old state stays shown;
 * a 503 tries the same revision again.
 */
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';

/** One response of the watch: the test writes what the server would. */
class Conn {
  readonly body: ReadableStream<Uint8Array>;
  private c!: ReadableStreamDefaultController<Uint8Array>;
  aborted = false;
  constructor(readonly url: string) {
    this.body = new ReadableStream({ start: (c) => void (this.c = c) });
  }
  send(type: string, id: string | undefined, obj: unknown): void {
    this.c.enqueue(new TextEncoder().encode(`event: ${type}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(obj)}\n\n`));
  }
  end(): void {
    this.c.close();
  }
  drop(): void {
    this.c.error(new Error('connection reset'));
  }
}

const g = globalThis as Record<string, unknown>;
const task = (name: string, state = 'Running') => ({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: {}, status: { state } });
const node = (name: string) => ({ apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: {}, status: { state: 'Ready' } });
const rv = (c: Conn) => new URL(c.url, 'http://x').searchParams.get('resourceVersion');
/** Let the store's reading loop take what was written. */
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('Store: one stream of every kind', () => {
  let Store: typeof import('./store.js').Store;
  let conns: Conn[];
  /** The status of the next watch request (200: a stream). */
  let next: number[];
  const last = () => conns.at(-1)!;
  beforeEach(async () => {
    conns = [];
    next = [];
    g.document = { visibilityState: 'hidden', addEventListener: () => undefined };
    g.fetch = async (url: string, init?: { signal?: AbortSignal }) => {
      if (url.endsWith('/readyz')) return new Response('{"leader":"l","etcd":"ok"}');
      const c = new Conn(url);
      conns.push(c);
      const status = next.shift() ?? 200;
      if (status !== 200) return new Response(JSON.stringify({ code: 'x' }), { status });
      init?.signal?.addEventListener('abort', () => (c.aborted = true));
      return new Response(c.body, { status: 200 });
    };
    mock.timers.enable({ apis: ['setTimeout'] });
    ({ Store } = await import('./store.js'));
  });
  afterEach(() => {
    mock.timers.reset();
    delete g.document;
    delete g.fetch;
  });

  it('shows a fresh list whole at LISTED, then applies changes in order, moving the revision', async () => {
    const s = new Store();
    s.start();
    await flush();
    const c = last();
    assert.match(c.url, /^\/api\/v1\/watch\?kinds=nodes,services,tasks,jobs,jobruns,events$/);
    c.send('ADDED', '10', task('a'));
    c.send('ADDED', '10', node('n1'));
    await flush();
    assert.equal(s.get('tasks').items.size, 0, 'nothing of a list is shown before LISTED');
    assert.equal(s.link, 'connecting');
    c.send('LISTED', '10', { resourceVersion: '10' });
    await flush();
    assert.deepEqual([...s.get('tasks').items.keys()], ['default/a']);
    assert.deepEqual([...s.get('nodes').items.keys()], ['/n1']);
    assert.equal(s.revision, '10');
    assert.equal(s.synced, true);
    assert.equal(s.link, 'live');

    const members = s.get('tasks').members;
    const version = s.get('tasks').version;
    c.send('MODIFIED', '11', task('a', 'Failed'));
    await flush();
    assert.equal((s.get('tasks').items.get('default/a') as { status: { state: string } }).status.state, 'Failed');
    assert.equal(s.get('tasks').members, members, 'a change is not a new member');
    assert.equal(s.get('tasks').version, version + 1);
    c.send('ADDED', '12', task('b'));
    c.send('DELETED', '13', task('a'));
    await flush();
    assert.deepEqual([...s.get('tasks').items.keys()], ['default/b']);
    assert.equal(s.get('tasks').members, members + 2);
    assert.equal(s.revision, '13');
  });

  it('opens again from the last revision when the stream ends (TooSlow) or drops, and applies the resumed changes at once', async () => {
    const s = new Store();
    s.start();
    await flush();
    const c = last();
    c.send('ADDED', '10', task('a'));
    c.send('LISTED', '10', {});
    c.send('MODIFIED', '15', task('a', 'Killed'));
    c.send('ERROR', undefined, { code: 'TooSlow', message: 'the client read too slowly' });
    c.end();
    await flush();
    assert.equal(s.link, 'retrying');
    mock.timers.tick(500);
    await flush();
    const again = last();
    assert.notEqual(again, c);
    assert.equal(rv(again), '15');
    again.send('ADDED', '16', task('c'));
    await flush();
    assert.deepEqual([...s.get('tasks').items.keys()].sort(), ['default/a', 'default/c'], 'a resume sends no list: changes apply at once');
    assert.equal(s.revision, '16');
    assert.equal(s.link, 'live');
    again.drop();
    await flush();
    mock.timers.tick(500);
    await flush();
    assert.equal(rv(last()), '16');
  });

  it('a resume refused with 410 starts over with a list, the old state shown until it is whole; 503 tries the revision again', async () => {
    const s = new Store();
    s.start();
    await flush();
    const c = last();
    c.send('ADDED', '10', task('old'));
    c.send('LISTED', '10', {});
    next.push(503, 410);
    c.end();
    await flush();
    mock.timers.tick(500);
    await flush();
    assert.equal(rv(last()), '10', 'after the stream ended: from its revision');
    mock.timers.tick(500); // refused with 503 (etcd away): the same revision, a little later
    await flush();
    assert.equal(rv(last()), '10');
    assert.equal(conns.length, 3);
    mock.timers.tick(1000); // refused with 410: compacted
    await flush();
    assert.equal(conns.length, 4);
    const fresh = last();
    assert.equal(rv(fresh), null, 'a fresh list');
    fresh.send('ADDED', '50', task('new'));
    await flush();
    assert.deepEqual([...s.get('tasks').items.keys()], ['default/old'], 'the old state until LISTED');
    fresh.send('LISTED', '50', {});
    await flush();
    assert.deepEqual([...s.get('tasks').items.keys()], ['default/new']);
  });

  it('Gone (a replay lost its etcd watch) starts over with a list; a drop before LISTED lists again; what is shown stays', async () => {
    const s = new Store();
    s.start();
    await flush();
    const c = last();
    c.send('LISTED', '10', {});
    c.send('ADDED', '11', task('a'));
    c.send('ERROR', undefined, { code: 'Gone', message: 'list again' });
    c.end();
    await flush();
    mock.timers.tick(500);
    await flush();
    const fresh = last();
    assert.equal(rv(fresh), null);
    fresh.send('ADDED', '20', task('a'));
    fresh.drop(); // dropped in the middle of the list
    await flush();
    mock.timers.tick(500);
    await flush();
    assert.equal(rv(last()), null, 'nothing to resume from after a Gone: a list again');
    assert.deepEqual([...s.get('tasks').items.keys()], ['default/a'], 'what was shown stays');
  });
});
