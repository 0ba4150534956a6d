import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource } from './types.js';
import { dependencyCycle, cycleMessage, edgesOf } from './dependencies.js';

const graph = (edges: Record<string, string[]>) => (n: string) => edges[n];

describe('dependencyCycle', () => {
  const cases: { name: string; edges: Record<string, string[]>; start: string; want: string[] | undefined }[] = [
    { name: 'no dependencies', edges: { a: [] }, start: 'a', want: undefined },
    { name: 'a chain', edges: { a: ['b'], b: ['c'], c: [] }, start: 'a', want: undefined },
    { name: 'a missing dependency is no cycle', edges: { a: ['ghost'] }, start: 'a', want: undefined },
    { name: 'two services', edges: { a: ['b'], b: ['a'] }, start: 'a', want: ['a', 'b', 'a'] },
    { name: 'three services', edges: { a: ['b'], b: ['c'], c: ['a'] }, start: 'a', want: ['a', 'b', 'c', 'a'] },
    { name: 'a diamond is no cycle', edges: { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, start: 'a', want: undefined },
    { name: 'the cycle behind a dead end', edges: { a: ['x', 'b'], x: ['y'], y: [], b: ['a'] }, start: 'a', want: ['a', 'b', 'a'] },
    { name: 'a cycle not through start is not reported for start', edges: { a: ['b'], b: ['c'], c: ['b'] }, start: 'a', want: undefined },
    { name: 'self', edges: { a: ['a'] }, start: 'a', want: ['a', 'a'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(dependencyCycle(c.start, graph(c.edges)), c.want));

  it('visits each service once on a dense graph', () => {
    const n = 2000;
    let calls = 0;
    const depsOf = (name: string) => {
      calls++;
      const i = Number(name);
      return i + 1 < n ? [String(i + 1), String(Math.min(n - 1, i + 2))] : [];
    };
    assert.equal(dependencyCycle('0', depsOf), undefined);
    assert.ok(calls <= n, `${calls} lookups`);
  });

  it('message: services by name, and every member by kind once a job is in it', () => {
    assert.equal(cycleMessage(['service/a', 'service/b', 'service/a']), 'a → b → a: a dependency cycle (each would wait for the next forever)');
    assert.equal(cycleMessage(['service/web', 'job/migrate', 'service/web']), 'service/web → job/migrate → service/web: a dependency cycle (each would wait for the next forever)');
  });

  it('edges: a bare name is the lister\'s kind', () => {
    const svc = { kind: 'Service', metadata: { name: 'web' }, spec: { dependencies: ['db', 'job/migrate', 'service/cache'] } } as unknown as AnyResource;
    const job = { kind: 'Job', metadata: { name: 'migrate' }, spec: { parents: ['extract', 'service/db'] } } as unknown as AnyResource;
    assert.deepEqual(edgesOf(svc), ['service/db', 'job/migrate', 'service/cache']);
    assert.deepEqual(edgesOf(job), ['job/extract', 'service/db']);
  });
});
