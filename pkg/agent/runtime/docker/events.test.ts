import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { memoryLogger } from '../../../log/logger.js';
import type { RuntimeEvent } from '../runtime.js';
import { EventStream, LineSplitter, parseEvent } from './events.js';

const ev = (action: string, attrs: Record<string, string> = {}, type = 'container') =>
  JSON.stringify({
    Type: type,
    Action: action,
    Actor: { ID: 'c0ffee', Attributes: { 'stowage.task': 'uid-1', 'stowage.node': 'n1', ...attrs } },
    time: 1764100000,
    timeNano: 1764100000123456789,
  });

describe('LineSplitter', () => {
  it('joins lines split across chunks, even inside a multi-byte character', () => {
    const s = new LineSplitter();
    const text = Buffer.from('{"a":"é"}\n{"b":2}\n\n{"c"');
    const cut = text.indexOf(0xa9); // second byte of é
    assert.deepEqual(s.push(text.subarray(0, cut)), []);
    assert.deepEqual(s.push(text.subarray(cut)), ['{"a":"é"}', '{"b":2}']);
    assert.deepEqual(s.push(':3}\n'), ['{"c":3}']);
  });
});

describe('parseEvent', () => {
  it('maps start, die (with exit code), oom and destroy', () => {
    assert.deepEqual(parseEvent(ev('start')), { id: 'c0ffee', taskUid: 'uid-1', type: 'start', time: '2025-11-25T19:46:40.123Z' });
    assert.equal(parseEvent(ev('die', { exitCode: '137' }))?.exitCode, 137);
    assert.equal(parseEvent(ev('oom'))?.type, 'oom');
    assert.equal(parseEvent(ev('destroy'))?.type, 'destroy');
  });

  it('drops what the agent does not need and what is not JSON', () => {
    assert.equal(parseEvent(ev('create')), undefined);
    assert.equal(parseEvent(ev('kill', { signal: '15' })), undefined);
    assert.equal(parseEvent(ev('start', {}, 'network')), undefined);
    assert.equal(parseEvent('{"Type":"container","Action":"start"}'), undefined);
    assert.equal(parseEvent('not json'), undefined);
  });
});

describe('EventStream', () => {
  it('retries a refused connect, splits chunks into events, reconnects when the stream ends', async (t) => {
    const streams: PassThrough[] = [];
    const asked: unknown[] = [];
    let calls = 0;
    const docker = {
      getEvents: async (opts: unknown) => {
        asked.push(opts);
        if (calls++ === 0) throw Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
        const s = new PassThrough();
        streams.push(s);
        return s;
      },
    } as unknown as Docker;
    const events: RuntimeEvent[] = [];
    let connects = 0;
    const log = memoryLogger();
    const es = new EventStream({ docker, nodeName: 'n1', log, onEvent: (e) => events.push(e), onConnect: () => connects++, initialBackoffMs: 5, maxBackoffMs: 20 });
    // The reconnect timer is unref'd (it must not keep an agent alive); with a fake engine nothing
    // else holds this process, which could end while waiting for the retry: hold it here.
    const hold = setInterval(() => undefined, 1000);
    t.after(() => clearInterval(hold));
    es.start();
    await es.ready();
    assert.equal(connects, 1);
    assert.deepEqual((asked[0] as { filters: unknown }).filters, { type: ['container'], label: ['stowage.node=n1'], event: ['start', 'die', 'oom', 'destroy'] });
    const line = ev('die', { exitCode: '3' }) + '\n' + ev('start') + '\n';
    streams[0]!.write(line.slice(0, 10));
    streams[0]!.write(line.slice(10));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events.map((e) => [e.type, e.exitCode]), [['die', 3], ['start', undefined]]);
    streams[0]!.end();
    while (connects < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(streams.length, 2);
    assert.ok(log.lines.some((l) => l.level === 'warn' && l.message === 'docker event stream lost; reconnecting'));
    es.close();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(streams.length, 2, 'no reconnect after close');
  });
});
