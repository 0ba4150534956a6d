import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_NAME_MAX, manualRunName, parentsRunName, parseRef, slotOfRunName, slotRunName } from './jobs.js';

describe('job run names', () => {
  it('a slot run is <job>-<unix seconds>, and reads back', () => {
    const slot = new Date('2026-12-01T00:00:02Z');
    assert.equal(slotRunName('report', slot), 'report-1796083202');
    assert.deepEqual(slotOfRunName('report', 'report-1796083202'), slot);
    assert.equal(slotOfRunName('report', 'report-m0123456789'), undefined);
    assert.equal(slotOfRunName('rep', 'report-1796083202'), undefined);
  });
  it('the same id names the same manual run; none names a new one each time', () => {
    assert.equal(manualRunName('j', 'abc'), manualRunName('j', 'abc'));
    assert.notEqual(manualRunName('j', 'abc'), manualRunName('j', 'abd'));
    assert.notEqual(manualRunName('j'), manualRunName('j'));
    assert.match(manualRunName('j', 'abc'), /^j-m[0-9a-f]{9}$/);
  });
  it('a dependent run is named by its set of parent runs, in any order', () => {
    assert.equal(parentsRunName('c', ['a-1', 'b-2']), parentsRunName('c', ['b-2', 'a-1']));
    assert.notEqual(parentsRunName('c', ['a-1', 'b-2']), parentsRunName('c', ['a-1', 'b-3']));
  });
  it('every run name of a longest job name leaves room for a task suffix', () => {
    const job = 'j'.repeat(JOB_NAME_MAX);
    for (const n of [slotRunName(job, Date.now()), manualRunName(job, 'x'), parentsRunName(job, ['a'])]) assert.equal(n.length, 57);
  });
  it('references: bare names are the lister\'s kind', () => {
    assert.deepEqual(parseRef('db', 'service'), { kind: 'service', name: 'db' });
    assert.deepEqual(parseRef('db', 'job'), { kind: 'job', name: 'db' });
    assert.deepEqual(parseRef('job/migrate', 'service'), { kind: 'job', name: 'migrate' });
    assert.deepEqual(parseRef('service/web', 'job'), { kind: 'service', name: 'web' });
  });
});
