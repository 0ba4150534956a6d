/** Dependents: the jobs naming each parent, kept as jobs change. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dependents } from './cache.js';

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
