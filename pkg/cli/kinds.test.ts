import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectPath, parseTargets, refOf, singleTarget } from './kinds.js';

test('KIND NAME... and KIND/NAME... forms', () => {
  const a = parseTargets(['svc', 'a', 'b']);
  assert.equal(a.kind!.kind, 'Service');
  assert.deepEqual(a.targets.map((t) => t.name), ['a', 'b']);
  const b = parseTargets(['service/a', 'no/n1']);
  assert.deepEqual(b.targets.map((t) => `${t.kind.kind}/${t.name}`), ['Service/a', 'Node/n1']);
  assert.equal(parseTargets(['jr']).kind!.kind, 'JobRun');
  assert.throws(() => parseTargets(['svc', 'service/a']), /no need to give a kind/);
  assert.throws(() => parseTargets(['service/']), /not of the form KIND\/NAME/);
  assert.throws(() => parseTargets(['foo/x']), /unknown kind "foo"; known kinds: namespaces, nodes/);
});

test('single targets of a wanted kind', () => {
  assert.equal(singleTarget(['service/web'], 'service').name, 'web');
  assert.equal(singleTarget(['svc', 'web'], 'service').name, 'web');
  assert.throws(() => singleTarget(['node/web'], 'service'), /expected a service, got node\/web/);
  assert.throws(() => singleTarget(['svc', 'a', 'b'], 'service'), /expected one service/);
});

test('paths and names', () => {
  const { kind } = parseTargets(['svc']);
  assert.equal(objectPath(kind!, 'default', 'a b'), '/api/v1/services/default/a%20b');
  assert.equal(objectPath(parseTargets(['nodes']).kind!, undefined, 'n1'), '/api/v1/nodes/n1');
  assert.equal(refOf('JobRun', 'r1'), 'jobrun/r1');
});
