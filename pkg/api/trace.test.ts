/** marksOf: a traced task's marks, from its status or, before it has one, from its creation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { marksOf, TRACE_MARKS_ANNOTATION } from './trace.js';

const task = (annotations?: Record<string, string>, trace?: Record<string, number>) => ({ metadata: { ...(annotations ? { annotations } : {}) }, ...(trace ? { status: { trace } } : {}) });

describe('marksOf', () => {
  it("a task with a status: its status's marks", () => {
    assert.deepEqual(marksOf(task({ [TRACE_MARKS_ANNOTATION]: '{"services.create":1}' }, { 'scheduler.bind': 2 })), { 'scheduler.bind': 2 });
  });
  it('before a status: the marks it was created with', () => {
    assert.deepEqual(marksOf(task({ [TRACE_MARKS_ANNOTATION]: '{"services.create":1}' })), { 'services.create': 1 });
  });
  it('none, or not a JSON object: none', () => {
    assert.equal(marksOf(task()), undefined);
    for (const raw of ['', 'nope', '[1]', 'null', '3']) assert.equal(marksOf(task({ [TRACE_MARKS_ANNOTATION]: raw })), undefined, raw);
  });
});
