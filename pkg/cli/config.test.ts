/** stowctl's config file: parsing (errors name file and field), masking, where it is, how it is written. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { configPath, formatConfig, formatMasked, maskToken, parseConfig, readConfig, sameServer, writeConfig } from './config.js';
import { resolveConnection } from './connection.js';
import { normalizeServer } from './context.js';

const P = '/home/u/.stowage/config';
const fails = (text: string, message: string) =>
  assert.throws(() => parseConfig(text, P), (e: Error) => {
    assert.equal(e.message, message);
    return true;
  });

describe('stowctl config', () => {
  it('parses server, token and ca; a relative ca is relative to the file', () => {
    assert.deepEqual(parseConfig('server: https://127.0.0.1:7070/\ntoken: abc\nca: pki/ca.pem\n', P), {
      server: 'https://127.0.0.1:7070',
      token: 'abc',
      ca: '/home/u/.stowage/pki/ca.pem',
    });
    assert.deepEqual(parseConfig('server: http://h:1\n', P), { server: 'http://h:1' });
  });

  it('names the file and the field of what is wrong', () => {
    fails('token: abc\n', `${P}: server: must be an http:// or https:// URL like https://127.0.0.1:7070 (missing)`);
    fails('server: ftp://x\n', `${P}: server: must be an http:// or https:// URL like https://127.0.0.1:7070`);
    fails('server: http://h:1\ntoken: a b\n', `${P}: token: must be one token (printable characters without spaces)`);
    fails('server: http://h:1\ntoken: 12\n', `${P}: token: must be one token (printable characters without spaces)`);
    fails('server: http://h:1\nca: ""\n', `${P}: ca: must be the path of a PEM CA file`);
    fails('server: http://h:1\nsevrer: x\n', `${P}: sevrer: unknown field; the fields are server, token, ca`);
    fails('- a\n', `${P}: expected a mapping with server, token and ca`);
    assert.throws(() => parseConfig('server: [\n', P), /^CliError: \/home\/u\/\.stowage\/config: not YAML: /);
  });

  it('round-trips what it writes, for any token', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7e]{1,80}$/), (token) => {
        const cfg = { server: 'https://127.0.0.1:7070', token, ca: '/x/ca.pem' };
        assert.deepEqual(parseConfig(formatConfig(cfg), P), cfg);
      }),
    );
  });

  it('masks the token: never printed, only a prefix of its sha256 (what the tokens file lists)', () => {
    const token = 'secret-token-value';
    const sha = createHash('sha256').update(token).digest('hex');
    assert.equal(maskToken(token), `REDACTED (sha256 ${sha.slice(0, 12)}…)`);
    const out = formatMasked({ server: 'https://s:1', token, ca: '/ca.pem' });
    assert.ok(!out.includes(token));
    assert.equal(out, `server: https://s:1\ntoken: REDACTED (sha256 ${sha.slice(0, 12)}…)\nca: /ca.pem\n`);
    assert.equal(formatMasked({ server: 'http://s:1' }), 'server: http://s:1\ntoken: (none)\nca: (none: the system CAs)\n');
  });

  it('lives at $STOWAGE_CONFIG, else $HOME/.stowage/config', () => {
    assert.equal(configPath({ STOWAGE_CONFIG: '/etc/s.yaml', HOME: '/h' }), '/etc/s.yaml');
    assert.equal(configPath({ HOME: '/h' }), '/h/.stowage/config');
    assert.equal(configPath({}), undefined);
  });

  it('compares servers by scheme, host and port', () => {
    assert.ok(sameServer('https://127.0.0.1:7070/', 'https://127.0.0.1:7070'));
    assert.ok(sameServer('HTTPS://LOCALHOST:7070', 'https://localhost:7070'));
    assert.ok(!sameServer('http://127.0.0.1:7070', 'https://127.0.0.1:7070'));
    assert.ok(!sameServer('https://127.0.0.1:7071', 'https://127.0.0.1:7070'));
  });

  it('is written mode 0600 in a 0700 directory, replacing one with looser modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowctl-config-'));
    try {
      const path = join(dir, 'sub', 'config');
      writeConfig(path, { server: 'https://a:1', token: 't1' });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
      writeFileSync(path, 'server: https://a:1\n', { mode: 0o644 });
      writeConfig(path, { server: 'https://a:1', token: 't2' });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(readConfig(path), { server: 'https://a:1', token: 't2' });
      assert.equal(readConfig(join(dir, 'none')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sends the config's token and CA only to the config's server", () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowctl-config-'));
    try {
      const path = join(dir, 'config');
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      writeConfig(path, { server: 'https://127.0.0.1:7070', token: 'tok', ca });
      const env = { STOWAGE_CONFIG: path };
      const own = resolveConnection({}, env, normalizeServer);
      assert.equal(own.server, 'https://127.0.0.1:7070');
      assert.equal(own.token, 'tok');
      assert.equal(own.tokenSource, path);
      assert.deepEqual(own.ca, readFileSync(ca));
      assert.equal(resolveConnection({ server: 'https://127.0.0.1:7070/' }, env, normalizeServer).token, 'tok');
      const elsewhere = resolveConnection({}, { ...env, STOWAGE_SERVER: 'http://127.0.0.1:9999' }, normalizeServer);
      assert.equal(elsewhere.server, 'http://127.0.0.1:9999');
      assert.equal(elsewhere.token, undefined);
      assert.equal(elsewhere.ca, undefined);
      // flags win over the config
      const tf = join(dir, 't');
      writeFileSync(tf, 'other\n');
      assert.equal(resolveConnection({ tokenFile: tf }, env, normalizeServer).token, 'other');
      assert.throws(() => resolveConnection({ tokenFile: join(dir, 'nope') }, env, normalizeServer), /^CliError: --token-file: cannot read \S+nope: ENOENT$/);
      assert.throws(() => resolveConnection({ ca: tf }, env, normalizeServer), /^CliError: --ca: \S+ is not a PEM certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
