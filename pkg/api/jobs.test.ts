import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_LABEL, JOB_NAME_MAX, manualRunName, newJobRun, parentsRunName, parseRef, slotOfRunName, slotRunName } from './jobs.js';
import { API_VERSION, type Job } from './types.js';

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

describe('newJobRun', () => {
  const job: Job = {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name: 'report', namespace: 'ops', uid: 'uid-1' },
    spec: {
      image: 'localhost/stowage-busybox:1', command: ['/bin/true'], resources: { cpus: 0.1, mem: 16, disk: 0 },
      schedule: '*/2 * * * * *', retries: 2, retryBackoffSeconds: 3, concurrencyPolicy: 'Forbid', sim: { runSeconds: 1, exitCode: 3 },
    },
  };
  it('a slot run carries the job\'s template, retries, label, uid and sim, and starts Pending', () => {
    const slot = new Date('2027-03-28T01:00:00Z');
    const r = newJobRun(job, { name: slotRunName('report', slot), trigger: 'schedule', slot, env: { A: '1' } });
    assert.equal(r.metadata.name, 'report-1806195600');
    assert.equal(r.metadata.namespace, 'ops');
    assert.deepEqual(r.metadata.labels, { [JOB_LABEL]: 'report' });
    assert.deepEqual(r.spec.template, { image: 'localhost/stowage-busybox:1', command: ['/bin/true'], resources: { cpus: 0.1, mem: 16, disk: 0 } });
    assert.equal(r.spec.jobUid, 'uid-1');
    assert.equal(r.spec.slot, '2027-03-28T01:00:00.000Z');
    assert.equal(r.spec.retries, 2);
    assert.equal(r.spec.retryBackoffSeconds, 3);
    assert.deepEqual(r.spec.env, { A: '1' });
    assert.deepEqual(r.spec.sim, { runSeconds: 1, exitCode: 3 });
    assert.deepEqual(r.status, { state: 'Pending', slot: '2027-03-28T01:00:00.000Z', attempts: 0 });
  });
  it('a record is born ended, with its reason', () => {
    const slot = new Date('2027-03-28T01:00:02Z');
    const r = newJobRun(job, { name: slotRunName('report', slot), trigger: 'schedule', slot, record: { state: 'Skipped', reason: 'Overlap', message: 'busy' } });
    assert.deepEqual(r.status, { state: 'Skipped', slot: '2027-03-28T01:00:02.000Z', attempts: 0, reason: 'Overlap', message: 'busy' });
  });
});
