import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dns1123LabelError, dns1123SubdomainError, isDns1123Label, portNameError, describeObject } from './names.js';
import { closest, editDistance } from './suggest.js';
import { formatPath, joinPath, pointerSegments } from './paths.js';

test('DNS-1123 labels', () => {
  for (const ok of ['a', 'hello', 'a-b', '0', 'a'.repeat(63), 'team-a']) assert.equal(isDns1123Label(ok), true, ok);
  for (const bad of ['', 'A', '-a', 'a-', 'a_b', 'a.b', 'a'.repeat(64)]) assert.equal(isDns1123Label(bad), false, bad);
  assert.equal(dns1123LabelError(''), 'must not be empty');
  assert.equal(
    dns1123LabelError('a'.repeat(100)),
    `must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got 100 characters ("${'a'.repeat(40)}...")`,
  );
  assert.equal(dns1123SubdomainError('ip-10-0-0-1.ec2.internal'), undefined);
  assert.equal(
    dns1123SubdomainError('a..b'),
    'must be a DNS-1123 subdomain (DNS-1123 labels joined by \'.\', at most 253 characters), got "a..b"',
  );
  assert.equal(portNameError('http-alt'), undefined);
  assert.equal(portNameError('8080'), 'must be a port name (a DNS-1123 label with at least one letter), got "8080"');
});

test('describeObject', () => {
  assert.equal(describeObject({ kind: 'Service', metadata: { name: 'hello' } }), 'Service "hello"');
  assert.equal(describeObject({ kind: 'Service' }), 'Service (no name)');
  assert.equal(describeObject(null), 'object (no name)');
});

test('suggestions', () => {
  assert.equal(editDistance('instanses', 'instances'), 1);
  assert.equal(editDistance('ab', 'ba'), 1);
  assert.equal(closest('instanses', ['image', 'instances']), 'instances');
  assert.equal(closest('imgae', ['image', 'instances']), 'image');
  assert.equal(closest('UNIQ', ['UNIQUE', 'IS']), 'UNIQUE');
  assert.equal(closest('xyz', ['image', 'instances']), undefined);
  assert.equal(closest('a', ['b']), 'b', 'one edit is always allowed');
});

test('paths', () => {
  assert.equal(formatPath(['spec', 'healthChecks', 1, 'port']), 'spec.healthChecks[1].port');
  assert.equal(formatPath(['metadata', 'labels', 'stowage/owner']), 'metadata.labels["stowage/owner"]');
  assert.equal(joinPath('spec.env', '1X'), 'spec.env["1X"]');
  assert.equal(joinPath('', 'spec'), 'spec');
  const data = { spec: { ports: [{ name: 'a' }], env: { '0': 'x' } } };
  assert.deepEqual(pointerSegments('/spec/ports/0/name', data), ['spec', 'ports', 0, 'name']);
  assert.deepEqual(pointerSegments('/spec/env/0', data), ['spec', 'env', '0']);
  assert.deepEqual(pointerSegments('/metadata/labels/a~1b', {}), ['metadata', 'labels', 'a/b']);
});
