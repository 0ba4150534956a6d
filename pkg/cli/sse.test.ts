import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from './sse.js';

test('parses events with event, id and data lines', () => {
  const p = new SseParser();
  const evs = p.push('event: ADDED\nid: 7\ndata: {"a":1}\n\nevent: DELETED\nid: 8\ndata: {"a":2}\n\n');
  assert.deepEqual(evs, [
    { event: 'ADDED', id: '7', data: '{"a":1}' },
    { event: 'DELETED', id: '8', data: '{"a":2}' },
  ]);
  assert.equal(p.lastEventId, '8');
});

test('events split anywhere across chunks, in any line ending', () => {
  const text = 'event: MODIFIED\r\nid: 12\r\ndata: {"x":"y"}\r\n\r\nevent: ADDED\rdata: 1\r\rdata: 2\n\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const p = new SseParser();
    const evs = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
    assert.deepEqual(
      evs.map((e) => [e.event, e.data]),
      [['MODIFIED', '{"x":"y"}'], ['ADDED', '1'], ['message', '2']],
      `cut at ${cut}`,
    );
  }
});

test('one character at a time', () => {
  const p = new SseParser();
  const evs = [...'event: ADDED\nid: 3\ndata: {}\n\n'].flatMap((c) => p.push(c));
  assert.deepEqual(evs, [{ event: 'ADDED', id: '3', data: '{}' }]);
});

test('comments keep the stream alive and are not events; multi-line data joins with newlines', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': ping\n\n: ping\n\n'), []);
  assert.deepEqual(p.push('data: a\ndata: b\ndata:c\n\n'), [{ event: 'message', data: 'a\nb\nc', id: undefined }]);
});

test('the id persists to later events and an event with no data is not dispatched', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('id: 5\nevent: ERROR\n\n'), []);
  assert.deepEqual(p.push('data: x\n\n'), [{ event: 'message', data: 'x', id: '5' }]);
});

test('a leading byte order mark is ignored; an incomplete event waits', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('\ufeffevent: ADDED\ndata: 1\n'), []);
  assert.deepEqual(p.push('\n'), [{ event: 'ADDED', data: '1', id: undefined }]);
});
