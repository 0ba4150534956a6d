import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { validateObject } from './validate.js';
import { envDisplay, literalEnv, secretRefsOf } from './secrets.js';

const secret = (data: unknown) => ({ apiVersion: 'stowage/v1', kind: 'Secret', metadata: { name: 'db', namespace: 'a' }, data });
const svc = (env: unknown) => ({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'web' }, spec: { image: 'i', env } });

function details(obj: unknown) {
  try {
    validateObject(obj);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 'Invalid');
    return e.details;
  }
  assert.fail('accepted');
}

describe('Secret validation', () => {
  it('accepts string data, and no data', () => {
    assert.deepEqual((validateObject(secret({ password: 'x', 'tls.crt': 'y', a_b: '' })) as unknown as { data: unknown }).data, { password: 'x', 'tls.crt': 'y', a_b: '' });
    validateObject({ apiVersion: 'stowage/v1', kind: 'Secret', metadata: { name: 'empty' } });
  });
  it('names the field and rule of bad keys, non-string values and unknown fields, never echoing a value', () => {
    assert.deepEqual(details({ ...secret({ 'a b': 'v1', n: 5 }), spec: {} }), [
      { field: 'spec', rule: 'additionalProperties', message: 'unknown field' },
      { field: 'data["a b"]', rule: 'secretKey', message: `invalid key: must be a secret key (letters, digits, '-', '_' and '.', at most 253 characters), got "a b"` },
      { field: 'data.n', rule: 'type', message: 'must be a string' },
    ]);
  });
  it('refuses the placeholder the API shows, so `get -o yaml` applied back cannot overwrite the values', () => {
    assert.deepEqual(details(secret({ password: '<redacted>' })), [
      { field: 'data.password', rule: 'redacted', message: 'is "<redacted>", the placeholder the API shows: give the value itself (a Secret read back from the API cannot be applied as it is)' },
    ]);
  });
  it('caps the size at 256 KiB and reserves the sealed prefix', () => {
    const d = details(secret({ big: 'x'.repeat(256 * 1024), sealed: 'stowage:enc:aesgcm:v1:abc:zzz' }));
    assert.deepEqual(d, [
      { field: 'data.sealed', rule: 'reserved', message: 'must not begin with "stowage:enc:" (it marks values encrypted at rest)' },
      { field: 'data', rule: 'maxSize', message: `keys and values together must be at most 262144 bytes (256 KiB); got ${256 * 1024 + 3 + 6 + 29}` },
    ]);
    assert.ok(!JSON.stringify(d).includes('x'.repeat(100)));
  });
});

describe('env secret references', () => {
  it('accepts {secret, key} beside literal values', () => {
    const o = validateObject(svc({ PASSWORD: { secret: 'db', key: 'password' }, MODE: 'prod' }));
    assert.deepEqual(secretRefsOf(o.spec.env), [{ env: 'PASSWORD', secret: 'db', key: 'password' }]);
    assert.deepEqual(literalEnv(o.spec.env), { MODE: 'prod' });
    assert.equal(envDisplay(o.spec.env.PASSWORD), '<secret db/password>');
  });
  it('names each field of a bad reference', () => {
    assert.deepEqual(details(svc({ A: { secret: 'db' }, B: 7, C: { secret: 'Db', key: 'k', extra: 1 } })), [
      { field: 'spec.env.A.key', rule: 'required', message: 'is required' },
      { field: 'spec.env.B', rule: 'type', message: 'must be a string or a secret reference {secret: NAME, key: KEY}' },
      { field: 'spec.env.C.extra', rule: 'additionalProperties', message: 'unknown field' },
      {
        field: 'spec.env.C.secret',
        rule: 'dnsLabel',
        message: `must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got "Db"`,
      },
    ]);
  });
});
