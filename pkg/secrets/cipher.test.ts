import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { loadSecretsKey, SecretCipher, SecretKeyError, storedSize } from './cipher.js';

const key = randomBytes(32);
const c = new SecretCipher(key);

describe('SecretCipher', () => {
  it('round-trips any value; the stored form names the key id and never holds the value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 200 }), (v) => {
        const sealed = c.seal(v, 'a/db/password');
        assert.equal(c.open(sealed, 'a/db/password'), v);
        assert.ok(sealed.startsWith(`stowage:enc:aesgcm:v1:${c.keyId}:`));
        if (v.length >= 4) assert.ok(!sealed.includes(v));
        assert.equal(storedSize(sealed), Buffer.byteLength(v));
      }),
    );
  });

  it('uses a fresh nonce each time: the same value seals differently', () => {
    assert.notEqual(c.seal('same', 'a/db/k'), c.seal('same', 'a/db/k'));
  });

  it('refuses a tampered ciphertext, a value moved to another place, and a truncated one', () => {
    const sealed = c.seal('hunter2-hunter2', 'a/db/password');
    const i = sealed.lastIndexOf(':') + 1;
    const body = Buffer.from(sealed.slice(i), 'base64');
    body[14] = body[14]! ^ 1;
    const tampered = sealed.slice(0, i) + body.toString('base64');
    assert.throws(() => c.open(tampered, 'a/db/password'), { name: 'SecretKeyError', message: 'a/db/password: the sealed value does not authenticate (altered in the store, or moved from another secret)' });
    assert.throws(() => c.open(sealed, 'b/db/password'), /does not authenticate/);
    assert.throws(() => c.open(sealed.slice(0, i) + 'AAAA', 'a/db/password'), /truncated/);
  });

  it('tells a value of another key, and a sealed value without a key, apart from tampering', () => {
    const other = new SecretCipher(randomBytes(32));
    const sealed = other.seal('x', 'a/db/k');
    assert.throws(() => c.open(sealed, 'a/db/k'), { message: `a/db/k: encrypted with key id ${other.keyId}, but --secrets-key is key id ${c.keyId}` });
    assert.throws(() => new SecretCipher().open(sealed, 'a/db/k'), { message: `a/db/k: encrypted at rest (key id ${other.keyId}); start with --secrets-key naming that key` });
  });

  it('opens a plaintext value (written before the key was given) as it is; without a key, seal stores as given', () => {
    assert.equal(c.open('plain', 'a/db/k'), 'plain');
    const none = new SecretCipher();
    assert.equal(none.keyId, undefined);
    assert.equal(none.seal('plain', 'a/db/k'), 'plain');
  });
});

describe('loadSecretsKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-key-'));
  it('reads 32 raw bytes or their base64; both give the same key id', async () => {
    writeFileSync(join(dir, 'raw'), key);
    writeFileSync(join(dir, 'b64'), key.toString('base64') + '\n');
    const a = await loadSecretsKey(join(dir, 'raw'));
    const b = await loadSecretsKey(join(dir, 'b64'));
    assert.equal(a.keyId, c.keyId);
    assert.equal(b.keyId, c.keyId);
  });
  it('names the flag and the file when the file is missing or not a key', async () => {
    await assert.rejects(loadSecretsKey(join(dir, 'absent')), { name: 'SecretKeyError', message: `--secrets-key: cannot read ${join(dir, 'absent')}: ENOENT` });
    writeFileSync(join(dir, 'short'), 'c2hvcnQ=\n');
    await assert.rejects(loadSecretsKey(join(dir, 'short')), {
      message: `--secrets-key: ${join(dir, 'short')}: holds 9 bytes; expected 32 random bytes, raw or base64 (head -c 32 /dev/urandom | base64 > FILE)`,
    });
    assert.ok(SecretKeyError);
  });
});
