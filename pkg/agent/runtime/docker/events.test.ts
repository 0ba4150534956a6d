import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, parseEvent } from './events.js';

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
