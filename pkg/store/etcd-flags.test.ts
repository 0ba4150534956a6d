/** The etcd flags of server and agent: what each wrong combination says, naming the flag. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEtcdFlags, type RawEtcdFlags } from './etcd-flags.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const E = 'https://127.0.0.1:2379';

describe('etcd flags', () => {
  let pki: string;
  const f = (name: string) => join(pki, name);
  const fails = (raw: RawEtcdFlags, message: string | RegExp) =>
    assert.throws(
      () => parseEtcdFlags(raw),
      (e: Error) => {
        if (typeof message === 'string') assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      },
    );

  before(() => {
    pki = mkdtempSync(join(tmpdir(), 'stowage-etcd-flags-'));
    execFileSync(join(ROOT, 'hack/ca.sh'), [pki], { stdio: 'pipe' });
    writeFileSync(f('junk.pem'), 'not a pem\n');
  });
  after(() => rmSync(pki, { recursive: true, force: true }));

  it('reads CA, certificate and key for https:// endpoints', () => {
    const c = parseEtcdFlags({ etcd: E, etcdCa: f('ca.pem'), etcdCert: f('etcd-client.pem'), etcdKey: f('etcd-client-key.pem') });
    assert.deepEqual(c.endpoints, [E]);
    assert.ok(c.tls?.ca && c.tls.cert && c.tls.key);
    assert.equal(c.auth, undefined);
  });

  it('leaves plain endpoints plain, and https:// without flags on the system CAs', () => {
    assert.deepEqual(parseEtcdFlags({ etcd: 'http://127.0.0.1:2379' }), { endpoints: ['http://127.0.0.1:2379'] });
    assert.deepEqual(parseEtcdFlags({ etcd: E }), { endpoints: [E], tls: {} });
  });

  it('takes an etcd user with its password', () => {
    assert.deepEqual(parseEtcdFlags({ etcd: E, etcdUser: 'root', etcdPassword: 'pw' }).auth, { username: 'root', password: 'pw' });
    fails({ etcd: E, etcdUser: 'root' }, '--etcd-password: required with --etcd-user (or set $STOWAGE_ETCD_PASSWORD)');
    fails({ etcd: E, etcdPassword: 'pw' }, '--etcd-user: required with --etcd-password (or $STOWAGE_ETCD_PASSWORD)');
  });

  it('names the flag of every mistake', () => {
    fails({ etcd: E, etcdCert: f('etcd-client.pem') }, '--etcd-key: required with --etcd-cert (the private key of that certificate)');
    fails({ etcd: E, etcdKey: f('etcd-client-key.pem') }, '--etcd-cert: required with --etcd-key (the certificate of that key)');
    fails({ etcd: E, etcdCert: f('etcd-client.pem'), etcdKey: f('api-key.pem') }, `--etcd-key: ${f('api-key.pem')} does not match the certificate in --etcd-cert (${f('etcd-client.pem')})`);
    fails({ etcd: E, etcdCa: f('nope.pem') }, `--etcd-ca: cannot read ${f('nope.pem')}: ENOENT (no such file or directory)`);
    fails({ etcd: E, etcdCa: f('junk.pem') }, `--etcd-ca: ${f('junk.pem')} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----")`);
    fails({ etcd: E, etcdCert: f('etcd-client-key.pem'), etcdKey: f('etcd-client-key.pem') }, /^--etcd-cert: .* is not a PEM certificate/);
    fails({ etcd: E, etcdCert: f('etcd-client.pem'), etcdKey: f('etcd-client.pem') }, /^--etcd-key: .* is not a PEM private key/);
    fails({ etcd: 'http://127.0.0.1:2379', etcdCa: f('ca.pem') }, '--etcd-ca: the endpoints in --etcd are plain http:// (http://127.0.0.1:2379); give https:// endpoints to use TLS');
    fails({ etcd: 'http://127.0.0.1:2379', etcdKey: f('etcd-client-key.pem') }, /^--etcd-key: the endpoints in --etcd are plain http:\/\//);
    fails({ etcd: `${E},http://127.0.0.1:2479` }, `--etcd: mixes http:// and https:// endpoints (${E},http://127.0.0.1:2479); use https:// for every member`);
  });
});
