import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, Service } from '../../pkg/api/types.js';
import { componentOf, connected, graphNodes, layout, refTo } from './graph.js';

const svc = (name: string, dependencies?: string[], namespace = 'default') => ({ kind: 'Service', metadata: { name, namespace }, spec: { dependencies } }) as unknown as Service;
const job = (name: string, parents?: string[], namespace = 'default') => ({ kind: 'Job', metadata: { name, namespace }, spec: { parents } }) as unknown as Job;
const where = (g: ReturnType<typeof layout>) => Object.fromEntries(g.nodes.map((n) => [n.key, [n.layer, n.row]]));

describe('refTo', () => {
  it('a bare name is of the lister\'s kind; service/ and job/ say theirs', () => {
    assert.equal(refTo('a', 'db', 'service'), 'a/service/db');
    assert.equal(refTo('a', 'extract', 'job'), 'a/job/extract');
    assert.equal(refTo('a', 'service/db', 'job'), 'a/service/db');
    assert.equal(refTo('a', 'job/migrate', 'service'), 'a/job/migrate');
  });
});

describe('layout', () => {
  it('longest path: a node stands one layer right of its deepest dependency', () => {
    // db -> migrate -> report, and db -> report directly: report is in layer 2, not 1
    const g = layout(graphNodes([svc('db')], [job('migrate', ['service/db']), job('report', ['migrate', 'service/db'])]));
    assert.deepEqual(where(g), { 'default/service/db': [0, 0], 'default/job/migrate': [1, 0], 'default/job/report': [2, 0] });
    // the edge db -> report crosses layer 1 through a waypoint beside migrate, not under it
    assert.deepEqual(g.edges, [
      { from: 'default/service/db', to: 'default/job/migrate', via: [] },
      { from: 'default/job/migrate', to: 'default/job/report', via: [] },
      { from: 'default/service/db', to: 'default/job/report', via: [{ layer: 1, row: 1 }] },
    ]);
    assert.equal(g.layers, 3);
    assert.equal(g.rows, 2);
  });
  it('orders a layer by its neighbours, so two chains do not cross', () => {
    // names would put a-child over b-child's row swapped: b1 -> a2, a1 -> b2
    const g = layout(graphNodes([svc('a1'), svc('b1'), svc('a2', ['b1']), svc('b2', ['a1'])], []));
    const w = where(g);
    assert.equal(w['default/service/a1']![1], w['default/service/b2']![1], 'a1 and its dependent on one row');
    assert.equal(w['default/service/b1']![1], w['default/service/a2']![1], 'b1 and its dependent on one row');
  });
  it('a reference to nothing is a missing node; namespaces do not mix', () => {
    const nodes = graphNodes([svc('web', ['db']), svc('web', ['db'], 'other'), svc('db', [], 'other')], []);
    const missing = nodes.filter((n) => n.missing).map((n) => n.key);
    assert.deepEqual(missing, ['default/service/db']);
    const g = layout(nodes);
    assert.equal(where(g)['other/service/web']![0], 1);
  });
  it('a cycle (which the API refuses) is cut, not walked for ever', () => {
    const g = layout(graphNodes([svc('a', ['b']), svc('b', ['a'])], []));
    assert.equal(g.nodes.length, 2);
    assert.equal(g.edges.length, 2);
  });
});

describe('connected and componentOf', () => {
  it('drops nodes without edges; finds the nodes joined to one', () => {
    const nodes = graphNodes([svc('lone'), svc('db'), svc('web', ['db'])], [job('backup', ['service/db']), job('x'), job('y', ['x'])]);
    assert.deepEqual(connected(nodes).map((n) => n.name).sort(), ['backup', 'db', 'web', 'x', 'y']);
    assert.deepEqual(componentOf(nodes, 'default/job/backup').map((n) => n.name).sort(), ['backup', 'db', 'web']);
  });
});
