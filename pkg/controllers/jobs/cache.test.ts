/** Children (what this loop created stays laid over the informer until it shows it whole, status included) and Dependents (the jobs naming each parent). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobRun } from '../../api/types.js';
import type { InformerEvent } from '../../informer/informer.js';
import type { Stored } from '../../store/store.js';
import { Children, Dependents } from './cache.js';

const record = (): JobRun => ({
  apiVersion: 'stowage/v1',
  kind: 'JobRun',
  metadata: { name: 'tick-1796189595', namespace: 'default' },
  spec: { job: 'tick', template: { image: 'x', resources: { cpus: 0.1, mem: 16, disk: 0 } }, retries: 0, slot: '2026-12-02T05:33:15.000Z' },
  status: { state: 'Missed', attempts: 0, reason: 'LeaderDown' },
});
const KEY = 'default/tick-1796189595';

/** An informer of one object, fed by the test the way the two watches feed the real one. */
function fixture() {
  let seen: Stored<JobRun> | undefined;
  const c = new Children<JobRun>(() => seen, (r) => `default/${r.spec.job}`);
  const show = (s: Stored<JobRun>) => {
    const old = seen;
    seen = s;
    c.onEvent({ type: old ? 'MODIFIED' : 'ADDED', key: KEY, stored: s, ...(old ? { old } : {}), revision: s.specRev } as InformerEvent<JobRun>);
  };
  return { c, show };
}

describe('Children: a run this loop created', () => {
  it('created with its status (a Missed record): while the informer shows the spec alone, the run is seen with the status it was created with', () => {
    const { c, show } = fixture();
    const r = record();
    c.created('default/tick', { object: r, specRev: '29', statusRev: '29' });
    // the spec watch delivered revision 29, the status watch not yet
    const { status: _, ...specOnly } = r;
    show({ object: specOnly as JobRun, specRev: '29', statusRev: '0' });
    const [got] = c.of('default/tick');
    assert.equal(got?.object.status?.state, 'Missed', 'not a Pending run');
    assert.equal(got?.statusRev, '29');
    // the status arrives: the informer's copy, the overlay is gone
    show({ object: r, specRev: '29', statusRev: '29' });
    const [again] = c.of('default/tick');
    assert.equal(again?.object, r);
  });

  it('the informer newer than what was created: its copy, not ours', () => {
    const { c, show } = fixture();
    const r = record();
    c.created('default/tick', { object: r, specRev: '29', statusRev: '29' });
    const later = { ...r, status: { ...r.status!, message: 'newer' } };
    show({ object: later, specRev: '29', statusRev: '31' });
    assert.equal(c.of('default/tick')[0]?.object.status?.message, 'newer');
  });

  it('created without a status: the spec is enough', () => {
    const { c, show } = fixture();
    const { status: _, ...bare } = record();
    c.created('default/tick', { object: bare as JobRun, specRev: '29', statusRev: '0' });
    const seen = { object: bare as JobRun, specRev: '29', statusRev: '0' };
    show(seen);
    assert.equal(c.of('default/tick')[0], seen);
  });
});

describe('Dependents', () => {
  it('finds the jobs that name a parent, and only those', () => {
    const d = new Dependents();
    d.set('default/load', ['default/job/extract', 'default/service/db']);
    d.set('default/report', ['default/job/extract']);
    d.set('default/lone', []);
    assert.deepEqual(d.of('default/job/extract').sort(), ['default/load', 'default/report']);
    assert.deepEqual(d.of('default/service/db'), ['default/load']);
    assert.deepEqual(d.of('default/job/db'), [], 'a job and a service of one name are different parents');
    assert.deepEqual(d.of('other/job/extract'), [], 'namespaces do not mix');
  });

  it('follows a job that changes its parents, and one that is deleted', () => {
    const d = new Dependents();
    d.set('default/load', ['default/job/extract']);
    d.set('default/load', ['default/job/clean']);
    assert.deepEqual(d.of('default/job/extract'), []);
    assert.deepEqual(d.of('default/job/clean'), ['default/load']);
    d.delete('default/load');
    assert.deepEqual(d.of('default/job/clean'), []);
    d.delete('default/never-seen');
  });
});
