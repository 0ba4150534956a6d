/**
 * Stowage processes for e2e tests: `bin/stowage server` and `bin/stowage
 * agent` started as children (from dist/, so run `make build` first), each
 * stopped by its PID, plus a small JSON client for the API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './etcd.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(ROOT, 'bin/stowage');
const LOGS = resolve(ROOT, '.run/test-logs');

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once it exited. */
  kill9(): Promise<void>;
  log: string;
}

function start(args: string[], logName: string): Proc {
  if (!existsSync(resolve(ROOT, 'dist/cmd/stowage/main.js'))) throw new Error('dist/ is missing: run `make build` before the e2e tests');
  mkdirSync(LOGS, { recursive: true });
  const log = resolve(LOGS, `${logName}-${Date.now().toString(36)}.log`);
  const out = createWriteStream(log);
  const child = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return { pid: child.pid!, child, log, stop: () => signal('SIGTERM', 5000), kill9: () => signal('SIGKILL', 0) };
}

export interface Server extends Proc {
  url: string;
}

/** A server on a free port; resolves once /readyz answers. */
export async function startServer(etcd: string, extra: string[] = []): Promise<Server> {
  const port = await freePort();
  const p = start(['server', '--etcd', etcd, '--listen', `127.0.0.1:${port}`, ...extra], `server-${port}`);
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (p.child.exitCode !== null) throw new Error(`server exited early; log: ${p.log}`);
    if (Date.now() > end) throw new Error(`server did not become ready; log: ${p.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...p, url };
}

/** An agent; pass --node and the rest. Resolves when started (not when registered). */
export function startAgent(etcd: string, args: string[]): Proc {
  const name = args[args.indexOf('--node') + 1] ?? args[args.indexOf('--node-prefix') + 1] ?? 'agent';
  return start(['agent', '--etcd', etcd, ...args], `agent-${name}`);
}

/** JSON over the API; throws with the server's message on a non-2xx answer. */
export async function api<T = any>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
