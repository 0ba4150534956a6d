/**
 * What the TLS tests share: a `stowage server` on HTTPS in front of a
 * client-certificate etcd (startEtcd({ tls: true })), HTTPS requests that
 * verify against a CA, and a tokens file with its tokens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import type { TestEtcd } from './etcd.js';
import { freePort } from './etcd.js';
import { ROOT } from './agent.js';
import { sleep } from './wait.js';
import { rememberSecrets, scanLog } from './suite-scan.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET (or another method) over HTTPS, verified against `ca`; rejects on a network or TLS error. */
export function httpsRequest(url: string, opts: { ca?: Buffer | string; cert?: Buffer; key?: Buffer; token?: string; method?: string; body?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((res, rej) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const req = request(url, { method: opts.method ?? 'GET', headers, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : {}), timeout: opts.timeoutMs ?? 10_000 }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d: string) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', rej);
    req.end(opts.body);
  });
}

/** The flags that open a TLS test etcd with its client certificate. */
export const etcdTlsFlags = (etcd: TestEtcd): string[] => {
  if (!etcd.pki) throw new Error('startEtcd({ tls: true }) first');
  return ['--etcd', etcd.endpoint, '--etcd-ca', join(etcd.pki, 'ca.pem'), '--etcd-cert', join(etcd.pki, 'etcd-client.pem'), '--etcd-key', join(etcd.pki, 'etcd-client-key.pem')];
};

export interface Token {
  user: string;
  role: 'viewer' | 'operator' | 'admin' | 'node';
  namespaces?: string[];
  token: string;
}

/** Write a --tokens file (hashes only) for these users; returns their tokens by user. */
export function writeTokens(path: string, users: Omit<Token, 'token'>[]): Map<string, string> {
  const out = new Map<string, string>();
  const lines = ['tokens:'];
  for (const u of users) {
    const token = randomBytes(24).toString('hex');
    rememberSecrets(token);
    out.set(u.user, token);
    const ns = u.namespaces ? `, namespaces: [${u.namespaces.join(', ')}]` : '';
    lines.push(`  - {user: ${u.user}, role: ${u.role}${ns}, sha256: ${createHash('sha256').update(token).digest('hex')}}`);
  }
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
  return out;
}

export interface TlsServer {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** bin/stowage server (from `make build`) on https://127.0.0.1:<free port>; resolves once /readyz answers over TLS. */
export async function spawnTlsServer(pki: string, args: string[]): Promise<TlsServer> {
  const port = await freePort();
  const ca = join(pki, 'ca.pem');
  const child = spawn(resolve(ROOT, 'bin/stowage'), ['server', '--listen', `127.0.0.1:${port}`, '--lease-ttl', '2', '--tls-cert', join(pki, 'api.pem'), '--tls-key', join(pki, 'api-key.pem'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const copy = scanLog('server', child.pid);
  const keep = (d: Buffer) => {
    copy(d);
    for (const l of d.toString().split('\n')) if (l) output.push(l);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `https://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stowage server exited ${child.exitCode}:\n${output.slice(-20).join('\n')}`);
    const r = await httpsRequest(`${url}/readyz`, { ca: readCa(ca), timeoutMs: 2000 }).catch(() => undefined);
    if (r?.status === 200 && (JSON.parse(r.body) as { isLeader?: boolean }).isLeader) break;
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`stowage server not leading over TLS after 30 s:\n${output.slice(-20).join('\n')}`);
    }
    await sleep(100);
  }
  return {
    url,
    child,
    output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
    },
  };
}

const cas = new Map<string, Buffer>();
function readCa(path: string): Buffer {
  let b = cas.get(path);
  if (!b) cas.set(path, (b = readFileSync(path)));
  return b;
}
