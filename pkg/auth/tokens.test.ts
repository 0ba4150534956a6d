import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Authenticator } from './authenticate.js';
import { parseTokens } from './tokens.js';

const h = (t: string) => createHash('sha256').update(t).digest('hex');

describe('tokens file', () => {
  it('parses users, roles, namespaces and hashes', () => {
    const e = parseTokens(`tokens:\n  - {user: alice, role: admin, sha256: ${h('a')}}\n  - {user: bob, role: operator, namespaces: [a, a, b], sha256: "${h('b').toUpperCase()}"}\n`);
    assert.deepEqual(e.map((x) => x.principal), [{ user: 'alice', role: 'admin' }, { user: 'bob', role: 'operator', namespaces: ['a', 'b'] }]);
    assert.equal(e[1]!.hash.toString('hex'), h('b'));
    assert.deepEqual(parseTokens('tokens: []'), []);
  });

  it('names the entry and field of every error, never the hash', () => {
    const ok = `sha256: ${h('x')}`;
    const cases: [string, string][] = [
      ['', 'tokens: required: the file is empty; the file must be'],
      ['a: [', 'not valid YAML:'],
      ['- x', 'tokens: required: the file must be a map with a list `tokens: [{user, role, namespaces?, sha256}]`'],
      ['tokens: {a: 1}', 'tokens: must be a list of {user, role, namespaces?, sha256}'],
      ['tokens: []\nusers: []', 'users: unknown field; the file holds only `tokens`'],
      ['tokens: [1]', 'tokens[0]: must be a map {user, role, namespaces?, sha256}'],
      [`tokens: [{role: admin, ${ok}}]`, 'tokens[0].user: required: a non-empty string'],
      [`tokens: [{user: x, role: root, ${ok}}]`, 'tokens[0] (user x).role: must be one of viewer, operator, admin, node'],
      ['tokens: [{user: x, role: admin, sha256: abc}]', 'tokens[0] (user x).sha256: must be 64 hex digits (sha256 of the token; quote it if YAML reads it as a number)'],
      [`tokens: [{user: x, role: viewer, namespace: [a], ${ok}}]`, 'tokens[0].namespace: unknown field; allowed: user, role, namespaces, sha256'],
      [`tokens: [{user: x, role: viewer, namespaces: [], ${ok}}]`, 'tokens[0] (user x).namespaces: must be a non-empty list of namespace names (leave it out for every namespace)'],
      [`tokens: [{user: x, role: viewer, namespaces: [A_], ${ok}}]`, "tokens[0] (user x).namespaces[0]: must be a namespace name (lower-case letters, digits and '-')"],
      [`tokens: [{user: x, role: node, namespaces: [a], ${ok}}]`, 'tokens[0] (user x).namespaces: not allowed for role node (an node is not scoped to namespaces)'],
      [`tokens: [{user: x, role: viewer, ${ok}}, {user: y, role: admin, ${ok}}]`, 'tokens[1] (user y).sha256: the same hash as tokens[0]: one token may name only one user'],
      ['tokens: [', 'not valid YAML:'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseTokens(text), (e: Error) => {
        assert.ok(e.message.startsWith(message), `${text}\n→ ${e.message}`);
        assert.ok(!e.message.includes(h('x')), 'no hash in the message');
        return true;
      });
    }
  });

  it('authenticates Bearer tokens by hash and refuses the rest with 401', () => {
    const a = new Authenticator(parseTokens(`tokens:\n  - {user: alice, role: admin, sha256: ${h('tok-a')}}\n  - {user: bob, role: viewer, namespaces: [a], sha256: ${h('tok-b')}}\n`));
    assert.deepEqual(a.authenticate('Bearer tok-a'), { user: 'alice', role: 'admin' });
    assert.deepEqual(a.authenticate('bearer  tok-b'), { user: 'bob', role: 'viewer', namespaces: ['a'] });
    for (const bad of [undefined, '', 'Bearer', 'Basic dG9rLWE=', 'Bearer tok-c', 'Bearer tok-a extra', `Bearer ${h('tok-a')}`]) {
      assert.throws(() => a.authenticate(bad), (e: { status: number; code: string; message: string }) => {
        assert.equal(e.status, 401);
        assert.equal(e.code, 'Unauthorized');
        assert.ok(!e.message.includes('tok-'), 'the token is not echoed');
        return true;
      });
    }
    a.replace([]);
    assert.throws(() => a.authenticate('Bearer tok-a'), { status: 401 });
  });
});
