import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { setPrincipal, type Principal } from '../auth/principal.js';
import { checkReveal, wantsReveal } from './secrets.js';

const req = (p?: Principal) => {
  const r = new IncomingMessage(new Socket());
  if (p) setPrincipal(r, p);
  return r;
};

describe('who may reveal secret values', () => {
  it('an admin, an operator of the namespace, and the development principal may', () => {
    checkReveal(req({ user: 'root', role: 'admin' }), 'a');
    checkReveal(req({ user: 'bob', role: 'operator', namespaces: ['a'] }), 'a');
    checkReveal(req(), 'a');
  });
  it('a viewer, a node, and an operator of another namespace get 403 naming who and where', () => {
    const refused = (p: Principal, message: string) => assert.throws(() => checkReveal(req(p), 'a'), { code: 'Forbidden', status: 403, message });
    refused({ user: 'carol', role: 'viewer', namespaces: ['a'] }, 'viewer "carol" may not reveal secrets in namespace "a": only an operator or admin of the namespace may (reveal=1)');
    refused({ user: 'n1', role: 'node' }, 'node "n1" may not reveal secrets in namespace "a": only an operator or admin of the namespace may (reveal=1)');
    refused({ user: 'bob', role: 'operator', namespaces: ['b'] }, 'operator "bob" may not reveal secrets in namespace "a": only an operator or admin of the namespace may (reveal=1)');
  });
  it('reveal is asked with reveal=1 or reveal=true only', () => {
    assert.deepEqual(['reveal=1', 'reveal=true', 'reveal=0', 'reveal=yes', ''].map((q) => wantsReveal(new URLSearchParams(q))), [true, true, false, false, false]);
  });
});
