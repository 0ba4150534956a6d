/**
 * TLS end to end, on one etcd and one server:
 *
 *   etcd (https, --client-cert-auth) ◄── stowage server --etcd-ca/--etcd-cert/--etcd-key
 *                                          --tls-cert/--tls-key --tokens --agent-ca
 *                                            ▲            │ task logs over https
 *   bin/stowctl --ca / ~/.stowage/config ────┘            ▼
 *                                        stowage agent --driver sim --tls-cert (etcd with its certificate)
 *
 * etcd refuses whoever has no client certificate (plain http, and TLS
 * without one) and answers whoever has; stowctl verifies the server against
 * its CA and says so plainly when it cannot.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { ROOT, spawnAgent, type AgentProc } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { etcdTlsFlags, httpsRequest, spawnTlsServer, writeTokens, type TlsServer } from '../helpers/tls.js';
import { until } from '../helpers/wait.js';

const STOWCTL = join(ROOT, 'bin/stowctl');
const STOWAGE = join(ROOT, 'bin/stowage');

interface Result {
  code: number;
  out: string;
  err: string;
}

/** bin/stowctl with its config at `config` and no STOWAGE_SERVER from the environment. */
function stowctl(config: string, args: string[], stdin?: string): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, STOWAGE_CONFIG: config };
  delete env.STOWAGE_SERVER;
  return new Promise((res) => {
    const p = execFile(STOWCTL, args, { env, timeout: 30_000 }, (e, out, err) => res({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }));
    if (stdin !== undefined) p.stdin!.end(stdin);
  });
}

/** POST /v3/kv/range of /stowage/ over plain http: the request a task on the host network would try first. */
function plainRange(port: number): Promise<number> {
  return new Promise((res, rej) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/v3/kv/range', method: 'POST', timeout: 5000 }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', rej);
    req.end(JSON.stringify({ key: Buffer.from('/stowage/').toString('base64'), range_end: Buffer.from('/stowage0').toString('base64') }));
  });
}

describe('TLS: etcd with client certificates, the API on HTTPS, stowctl verifying it', () => {
  let etcd: TestEtcd;
  let server: TlsServer;
  let agent: AgentProc | undefined;
  let dir: string;
  let ca: string;
  let tokens: Map<string, string>;

  before(async () => {
    assert.ok(existsSync(STOWCTL) && existsSync(STOWAGE), 'run `make build` first: bin/stowctl and bin/stowage are missing');
    dir = mkdtempSync(join(tmpdir(), 'stowage-tls-'));
    etcd = await startEtcd({ tls: true });
    ca = join(etcd.pki!, 'ca.pem');
    tokens = writeTokens(join(dir, 'tokens.yaml'), [
      { user: 'alice', role: 'admin' },
      { user: 'carol', role: 'viewer' },
    ]);
    writeFileSync(join(dir, 'alice.token'), `${tokens.get('alice')}\n`, { mode: 0o600 });
    server = await spawnTlsServer(etcd.pki!, [...etcdTlsFlags(etcd), '--tokens', join(dir, 'tokens.yaml'), '--agent-ca', ca]);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await server?.stop();
    etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('etcd refuses a client without a certificate, over plain http and over TLS, and answers one with it', async () => {
    // plain http to the TLS port: no answer of etcd's (Go answers 400 "HTTP request to an HTTPS server", or the connection fails)
    const plain = await plainRange(etcd.port).catch((e: Error) => e.message);
    assert.notEqual(plain, 200, 'etcd answered a plain http request');
    // TLS with the right CA but no client certificate: the handshake is refused
    const noCert = await httpsRequest(`${etcd.endpoint}/v3/kv/range`, { ca: readFileSync(ca), method: 'POST', body: '{"key":"L3N0b3dhZ2Uv"}' }).then(
      (r) => `HTTP ${r.status}`,
      (e: Error) => e.message,
    );
    assert.doesNotMatch(noCert, /^HTTP 200/, 'etcd answered a TLS client without a certificate');
    // the gRPC client without a certificate (what a stolen CA alone gives)
    const bare: Etcd3 = newEtcdClient({ endpoints: etcd.endpoint, tls: { ca: readFileSync(ca) }, callTimeoutMs: 3000 });
    try {
      await assert.rejects(bare.get('/stowage/leader').string(), 'etcd answered a gRPC client without a certificate');
    } finally {
      bare.close();
    }
    // and with the certificate it answers (so the refusals above are about the certificate)
    const withCert = await httpsRequest(`${etcd.endpoint}/v3/kv/range`, {
      ca: readFileSync(ca),
      method: 'POST',
      body: '{"key":"L3N0b3dhZ2Uv"}',
      cert: readFileSync(join(etcd.pki!, 'etcd-client.pem')),
      key: readFileSync(join(etcd.pki!, 'etcd-client-key.pem')),
    });
    assert.equal(withCert.status, 200, withCert.body);
  });

  it('the server opens it with --etcd-ca/--etcd-cert/--etcd-key: writes land in etcd', async () => {
    const ns = JSON.stringify({ apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'tls-a' } });
    const r = await httpsRequest(`${server.url}/api/v1/namespaces`, { ca: readFileSync(ca), token: tokens.get('alice')!, method: 'POST', body: ns });
    assert.ok(r.status === 201 || r.status === 200, `${r.status} ${r.body}`);
    const client = newEtcdClient({ endpoints: etcd.endpoint, tls: { ca: readFileSync(ca), cert: readFileSync(join(etcd.pki!, 'etcd-client.pem')), key: readFileSync(join(etcd.pki!, 'etcd-client-key.pem')) } });
    try {
      const keys = await client.getAll().prefix('/stowage/').keys();
      assert.ok(keys.some((k) => k.includes('tls-a')), `no key of namespace tls-a in etcd: ${keys.join(', ')}`);
    } finally {
      client.close();
    }
  });

  it('a missing or mismatched etcd flag stops the server at start, naming the flag', () => {
    const run = (args: string[]) => {
      try {
        execFileSync(STOWAGE, ['server', '--listen', '127.0.0.1:0', ...args], { stdio: 'pipe', timeout: 20_000 });
        return { code: 0, err: '' };
      } catch (e) {
        const x = e as { status: number; stderr: Buffer };
        return { code: x.status, err: x.stderr.toString() };
      }
    };
    const pki = etcd.pki!;
    let r = run(['--etcd', etcd.endpoint, '--etcd-cert', join(pki, 'etcd-client.pem')]);
    assert.equal(r.code, 2);
    assert.equal(r.err, 'error: --etcd-key: required with --etcd-cert (the private key of that certificate)\n');
    r = run(['--etcd', etcd.endpoint, '--etcd-cert', join(pki, 'etcd-client.pem'), '--etcd-key', join(pki, 'api-key.pem')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error: --etcd-key: \S+api-key\.pem does not match the certificate in --etcd-cert/);
    r = run(['--etcd', `http://127.0.0.1:${etcd.port}`, '--etcd-ca', join(pki, 'ca.pem')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error: --etcd-ca: the endpoints in --etcd are plain http:\/\//);
    r = run(['--etcd', etcd.endpoint, '--tls-cert', join(pki, 'nope.pem'), '--tls-key', join(pki, 'api-key.pem')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error: --tls-cert: cannot read \S+nope\.pem: ENOENT/);
  });

  it('stowctl login checks the token over verified TLS and writes the config 0600; config view masks the token', async () => {
    const cfg = join(dir, 'login', 'config');
    // a refused token writes nothing
    let r = await stowctl(cfg, ['login', '--server', server.url, '--token', '-', '--ca', ca], 'not-a-token\n');
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /HTTP 401.*refused the token from stdin/);
    assert.equal(existsSync(cfg), false, 'a refused login wrote the config');
    r = await stowctl(cfg, ['login', '--server', server.url, '--token-file', join(dir, 'alice.token'), '--ca', ca]);
    assert.equal(r.code, 0, r.err);
    assert.equal(statSync(cfg).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'login')).mode & 0o777, 0o700);
    r = await stowctl(cfg, ['get', 'namespaces', '-o', 'name']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /namespace\/tls-a/);
    r = await stowctl(cfg, ['config', 'view']);
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes(tokens.get('alice')!), 'config view printed the token');
    assert.match(r.out, /token: REDACTED \(sha256 [0-9a-f]{12}…\)/);
    assert.match(r.out, new RegExp(`server: ${server.url}`));
  });

  it('stowctl refuses a server its CA did not sign, without a token says to log in, and over http says to use https', async () => {
    const other = mkdtempSync(join(tmpdir(), 'stowage-tls-other-'));
    execFileSync(join(ROOT, 'hack/ca.sh'), [other], { stdio: 'pipe' });
    const none = join(dir, 'none', 'config');
    const token = ['--token-file', join(dir, 'alice.token')];
    let r = await stowctl(none, ['--server', server.url, ...token, '--ca', join(other, 'ca.pem'), 'get', 'namespaces']);
    assert.equal(r.code, 1);
    assert.equal(r.err, `error: cannot verify the Stowage server at ${server.url} against the CA in --ca ${join(other, 'ca.pem')}: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)\n`);
    r = await stowctl(none, ['--server', server.url, ...token, 'get', 'namespaces']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: cannot verify the Stowage server at \S+ against the system's CAs \(no CA given: stowctl login --ca FILE, or --ca FILE\)/);
    r = await stowctl(none, ['--server', server.url, '--ca', ca, 'get', 'namespaces']);
    assert.equal(r.code, 1);
    assert.match(r.err, /\(HTTP 401\): the server at \S+ asks for a token; run `stowctl login --server \S+ --token-file FILE` or give --token-file\n$/);
    r = await stowctl(none, ['--server', server.url.replace('https:', 'http:'), ...token, 'get', 'namespaces']);
    assert.equal(r.code, 1);
    assert.match(r.err, /if the server serves HTTPS, use https:\/\//);
    rmSync(other, { recursive: true, force: true });
  });

  it("task logs come from an agent's HTTPS endpoint, verified against --agent-ca; the agent opens etcd with its certificate", async () => {
    const pki = etcd.pki!;
    agent = await spawnAgent(['--driver', 'sim', '--node', 'tls-sim', ...etcdTlsFlags(etcd), '--tls-cert', join(pki, 'agent.pem'), '--tls-key', join(pki, 'agent-key.pem'), '--heartbeat-ttl', '2']);
    const cfg = join(dir, 'login', 'config');
    const svc = `apiVersion: stowage/v1\nkind: Service\nmetadata: {name: tls-logs}\nspec:\n  instances: 1\n  image: localhost/stowage-busybox:1\n  resources: {cpus: 0.1, mem: 16}\n`;
    writeFileSync(join(dir, 'svc.yaml'), svc);
    let r = await stowctl(cfg, ['apply', '-f', join(dir, 'svc.yaml')]);
    assert.equal(r.code, 0, r.err);
    const task = await until(
      'a Running task of tls-logs',
      async () => {
        const x = await stowctl(cfg, ['get', 'tasks', '-o', 'json']);
        const items = (JSON.parse(x.out || '{"items":[]}') as { items: { metadata: { name: string }; status?: { state?: string } }[] }).items;
        return items.find((t) => t.metadata.name.startsWith('tls-logs-') && t.status?.state === 'Running')?.metadata.name;
      },
      30_000,
      200,
    );
    r = await stowctl(cfg, ['logs', task]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /hollow node tls-sim/);
  });
});
