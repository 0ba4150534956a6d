/**
 * WatchStream over a real HTTP connection on loopback (no etcd): paced
 * writes, the cut-off of a client that does not read, and the id reset
 * when the cut falls inside the initial list.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openSse } from '../../test/helpers/sse.js';
import { makeFrame, type WatchEvent } from './watch-join.js';
import { ReplayGate } from './watch-replay.js';
import { WatchStream } from './watch-stream.js';

const event = (rev: number, size: number, namespace = 'ns'): WatchEvent => {
  const json = JSON.stringify({ metadata: { name: `o${rev}`, namespace }, pad: 'x'.repeat(size) });
  return { type: 'MODIFIED', kind: 'services', revision: String(rev), rev: BigInt(rev), namespace, labels: undefined, frame: makeFrame('MODIFIED', String(rev), json).frame };
};
const objects = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ metadata: { name: `l${i}` }, pad: 'y'.repeat(size) })));

describe('WatchStream', () => {
  let server: Server;
  let base: string;
  let onRequest: (res: ServerResponse) => void = () => undefined;

  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      onRequest(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a reading client gets the list, then the changes after it, filtered, in order', async () => {
    let s!: WatchStream;
    onRequest = (res) => (s = new WatchStream(res, { maxQueuedBytes: 1 << 20, want: (ns) => ns === 'ns', after: 5n }));
    const c = await openSse(base, '/');
    s.sendList('5', objects(500, 1000));
    s.offer([event(4, 10), event(6, 10), event(7, 10, 'other'), event(8, 5000)]);
    await c.until('everything', () => c.events.length === 502);
    assert.ok(c.events.slice(0, 500).every((e, i) => e.event === 'ADDED' && e.id === '5' && JSON.parse(e.data).metadata.name === `l${i}`));
    assert.deepEqual(c.events.slice(500).map((e) => e.id), ['6', '8'], 'changes after the list only, of the namespace asked for');
    assert.equal(s.queued, 0);
    c.close();
  });

  it("a list's end marker comes after its last object and before any change, also for an empty list", async () => {
    for (const n of [300, 0]) {
      let s!: WatchStream;
      onRequest = (res) => (s = new WatchStream(res, { maxQueuedBytes: 1 << 20, want: () => true, after: 5n }));
      const c = await openSse(base, '/');
      s.sendList('5', objects(n, 1000), Buffer.from('event: LISTED\nid: 5\ndata: {}\n\n'));
      s.offer([event(6, 10), event(7, 10)]);
      await c.until('everything', () => c.events.length === n + 3);
      assert.deepEqual(c.events.slice(n).map((e) => [e.event, e.id]), [['LISTED', '5'], ['MODIFIED', '6'], ['MODIFIED', '7']]);
      assert.ok(c.events.slice(0, n).every((e) => e.event === 'ADDED'));
      c.close();
    }
  });

  it('a client that does not read is cut off once the limit is passed; a cut inside the list resets Last-Event-ID', async () => {
    let s!: WatchStream;
    onRequest = (res) => (s = new WatchStream(res, { maxQueuedBytes: 64 * 1024, want: () => true, after: 5n }));
    const c = await openSse(base, '/', { paused: true });
    s.sendList('5', objects(20_000, 1000)); // 20 MB: more than the socket takes while nobody reads
    let rev = 6;
    while (!s.closed) {
      s.offer([event(rev++, 8 * 1024)]);
      assert.ok(s.queued <= 64 * 1024, `queued ${s.queued}`);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(rev - 6 <= 9, `cut after ${rev - 6} events of 8 KiB`);
    c.resume();
    await c.until('the end', () => c.ended, 20_000);
    const last = c.events.at(-1)!;
    assert.equal(last.event, 'ERROR');
    assert.equal(last.id, '', 'the error resets Last-Event-ID: the list was not complete');
    assert.equal(JSON.parse(last.data).code, 'TooSlow');
    const listed = c.events.slice(0, -1);
    assert.ok(listed.length > 0 && listed.length < 20_000, `part of the list: ${listed.length}`);
    assert.ok(listed.every((e) => e.event === 'ADDED'), 'nothing of the changes: they waited behind the list');
  });
});

describe('WatchStream hand-over', () => {
  it('history sent after queued events is written after them', async () => {
    let s!: WatchStream;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      s = new WatchStream(res, { maxQueuedBytes: 64 << 20, want: () => true, after: 0n });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, '/', { paused: true });
    try {
      // enough queued events that some are still waiting (the client does not read)
      const queued = Array.from({ length: 600 }, (_, i) => event(i + 1, 16 * 1024));
      s.offer(queued);
      assert.ok(s.queued > 0, 'events wait for the client');
      s.sendHistory([event(601, 10), event(602, 10)]);
      s.raiseFloor(602n);
      s.offer([event(602, 10), event(603, 10)]);
      c.resume();
      await c.until('everything', () => c.events.length === 603);
      assert.deepEqual(c.events.map((e) => Number(e.id)), Array.from({ length: 603 }, (_, i) => i + 1));
    } finally {
      c.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('ReplayGate', () => {
  it('lets `max` in at once; the next waits for a release; one that gives up waiting takes no place', async () => {
    const gate = new ReplayGate(2);
    const never = new AbortController().signal;
    const r1 = await gate.enter(never);
    await gate.enter(never);
    assert.equal(gate.active, 2);
    const giveUp = new AbortController();
    const quitter = gate.enter(giveUp.signal);
    let third = false;
    const waiting = gate.enter(never).then((r) => ((third = true), r));
    giveUp.abort(new Error('the client left'));
    await assert.rejects(quitter, { message: 'the client left' });
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false);
    r1();
    r1(); // twice is once
    const r3 = await waiting;
    assert.equal(gate.active, 2);
    r3();
    assert.equal(gate.active, 1);
  });
});
