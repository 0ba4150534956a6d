import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isApiError } from './errors.js';
import { decodeContinue, encodeContinue, listScope, MAX_LIMIT, parseLimit } from './list-page.js';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(isApiError(e, 'BadRequest'), String(e));
    return (e as Error).message;
  }
  assert.fail('expected a BadRequest');
};

test('a token decodes to what was encoded, for its own list only', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 1n, max: 2n ** 62n }),
      fc.stringMatching(/^[a-z0-9-]{1,20}$/),
      fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,40}$/),
      fc.option(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { nil: undefined }),
      (rev, ns, name, listNs) => {
        const t = { rev: String(rev), list: listScope('tasks', listNs), after: `${ns}/${name}` };
        const raw = encodeContinue(t);
        assert.match(raw, /^[A-Za-z0-9_-]+$/);
        assert.deepEqual(decodeContinue(raw, listScope('tasks', listNs)), t);
        assert.throws(() => decodeContinue(raw, listScope('services', listNs)), /continue: the token continues another list/);
      },
    ),
  );
});

test('bad tokens are 400s naming continue and the rule', () => {
  const scope = listScope('tasks', 'default');
  const ok = { rev: '42', list: scope, after: 'default/a' };
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.equal(
    message(() => decodeContinue('not a token!', scope)),
    'continue: not a continue token (base64url expected); pass the metadata.continue of the previous page as it was, or list again without continue',
  );
  assert.match(message(() => decodeContinue(enc({ ...ok, v: 2 }), scope)), /^continue: not a continue token this server made;/);
  assert.match(message(() => decodeContinue(enc({ v: 1, ...ok, rev: '0' }), scope)), /^continue: the token's revision "0" is not an etcd revision;/);
  assert.match(message(() => decodeContinue(enc({ v: 1, ...ok, rev: 'x' }), scope)), /not an etcd revision/);
  assert.match(message(() => decodeContinue(enc({ v: 1, ...ok, after: 'no-slash' }), scope)), /^continue: not a continue token this server made;/);
  assert.match(message(() => decodeContinue(Buffer.from('{').toString('base64url'), scope)), /^continue: not a continue token this server made;/);
  assert.match(message(() => decodeContinue('a'.repeat(5000), scope)), /too long/);
  assert.equal(
    message(() => decodeContinue(enc({ v: 1, ...ok, list: 'tasks/*' }), scope)),
    'continue: the token continues another list (tasks/*), not this one (tasks/default); pass the metadata.continue of the previous page as it was, or list again without continue',
  );
});

test('limit: absent, or a whole number from 1 to MAX_LIMIT', () => {
  assert.equal(parseLimit(null), undefined);
  assert.equal(parseLimit('1'), 1);
  assert.equal(parseLimit(String(MAX_LIMIT)), MAX_LIMIT);
  for (const bad of ['0', '-1', '1.5', 'abc', '', ' 5', String(MAX_LIMIT + 1), '1e3', '9999999999']) {
    assert.equal(message(() => parseLimit(bad)), `limit: must be a whole number from 1 to ${MAX_LIMIT}, got "${bad}"`, bad);
  }
});
