import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Secret, Task } from '../api/types.js';
import { SecretCipher } from './cipher.js';
import { openData, redactSecret, revealSecret, sealSecret } from './secret-data.js';
import { resolveRefs, SecretNotFoundError } from './resolve.js';
import { ApiSecretEnv, secretEnvPath } from './api-env.js';
import { StoreSecretEnv } from './store-env.js';
import { maskValues } from './mask.js';

const VALUE = 'pa55-w0rd-very-secret';
const secret = (data: Record<string, string>): Secret => ({ apiVersion: 'stowage/v1', kind: 'Secret', metadata: { name: 'db', namespace: 'a' }, data });
const task = (env: Task['spec']['env']): Task => ({
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: 'web-x1', namespace: 'a' },
  spec: { image: 'i', resources: { cpus: 1, mem: 1, disk: 0 }, ...(env ? { env } : {}) },
});

describe('redactSecret', () => {
  const cipher = new SecretCipher(randomBytes(32));
  it('keeps the keys, replaces every value, and gives sizes, for plaintext and sealed data alike', () => {
    for (const stored of [secret({ password: VALUE, user: 'app' }), sealSecret(secret({ password: VALUE, user: 'app' }), cipher)]) {
      const r = redactSecret(stored);
      assert.deepEqual(r.data, { password: '<redacted>', user: '<redacted>' });
      assert.deepEqual(r.status, { sizes: { password: VALUE.length, user: 3 } });
      assert.ok(!JSON.stringify(r).includes(VALUE));
      assert.deepEqual(redactSecret(r), r, 'idempotent');
    }
  });
  it('leaves other kinds alone', () => {
    const t = task({ A: 'b' });
    assert.equal(redactSecret(t), t);
  });
  it('seal then open gives the data back; reveal shows values and sizes', () => {
    const sealed = sealSecret(secret({ password: VALUE }), cipher);
    assert.notEqual(sealed.data.password, VALUE);
    assert.deepEqual(openData(sealed, cipher), { password: VALUE });
    assert.deepEqual(revealSecret(sealed, cipher), { ...secret({ password: VALUE }), status: { sizes: { password: VALUE.length } } });
  });
});

describe('resolving a task secret env', () => {
  const cipher = new SecretCipher(randomBytes(32));
  const stored = sealSecret(secret({ password: VALUE }), cipher);
  const read = async (ns: string, name: string) => (ns === 'a' && name === 'db' ? stored : undefined);

  it('resolves references from the task namespace, reading each secret once, and names what is missing', async () => {
    let reads = 0;
    const r = await resolveRefs(
      task({ P1: { secret: 'db', key: 'password' }, P2: { secret: 'db', key: 'password' }, X: 'lit', N: { secret: 'db', key: 'nope' }, M: { secret: 'gone', key: 'k' } }),
      async (ns, n) => (reads++, read(ns, n)),
      cipher,
    );
    assert.deepEqual(r.env, { P1: VALUE, P2: VALUE });
    assert.deepEqual(r.missing, [
      { env: 'N', secret: 'db', key: 'nope', reason: 'KeyNotFound' },
      { env: 'M', secret: 'gone', key: 'k', reason: 'SecretNotFound' },
    ]);
    assert.equal(reads, 2);
  });

  it('StoreSecretEnv reads the store; a task without references costs no read', async () => {
    let reads = 0;
    const store = { get: async (_k: unknown, ns: string | undefined, name: string) => (reads++, (await read(ns!, name)) ? { object: stored, specRev: '1', statusRev: '0' } : undefined) };
    const env = new StoreSecretEnv(store as never, cipher);
    assert.deepEqual(await env.resolve(task({ A: 'x' })), {});
    assert.equal(reads, 0);
    assert.deepEqual(await env.resolve(task({ P: { secret: 'db', key: 'password' } })), { P: VALUE });
    await assert.rejects(env.resolve(task({ P: { secret: 'db', key: 'nope' } })), (e: unknown) => e instanceof SecretNotFoundError && e.message === 'env P: secret "db" has no key "nope"');
  });

  it("ApiSecretEnv asks the task's secret-env path and throws SecretNotFoundError for what the server says is missing", async () => {
    const paths: string[] = [];
    const env = new ApiSecretEnv(async (p) => {
      paths.push(p);
      return p.endsWith('/secret-env') ? { env: { P: VALUE }, missing: [{ env: 'Q', secret: 'x', key: 'k', reason: 'SecretNotFound' }] } : undefined;
    });
    assert.deepEqual(await env.resolve(task(undefined)), {});
    assert.deepEqual(paths, []);
    await assert.rejects(env.resolve(task({ P: { secret: 'db', key: 'password' } })), { name: 'SecretNotFoundError', message: 'env Q: secret "x" not found in namespace "a"' });
    assert.deepEqual(paths, [secretEnvPath('a', 'web-x1')]);
    assert.equal(paths[0], '/api/v1/tasks/a/web-x1/secret-env');
    const ok = new ApiSecretEnv(async () => ({ env: { P: VALUE }, missing: [] }));
    assert.deepEqual(await ok.resolve(task({ P: { secret: 'db', key: 'password' } })), { P: VALUE });
  });
});

describe('maskValues', () => {
  it('hides every occurrence, longest value first', () => {
    assert.equal(maskValues('a=abcd b=abcdef abcd', ['abcd', 'abcdef', '']), 'a=*** b=*** ***');
    assert.equal(maskValues('nothing here', []), 'nothing here');
  });
});
