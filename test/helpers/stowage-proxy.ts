/**
 * `stowage proxy` as a child process for tests and the benchmark: from the
 * sources through tsx (or STOWAGE_BIN), with --listen on a free port;
 * resolves once /healthz answers 200 (it has the endpoints list).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './agent.js';
import { freePort } from './etcd.js';
import { stowageCommand } from './commands.js';
import { scanLog } from './suite-scan.js';
import { sleep } from './wait.js';

export interface ProxyProc {
  child: ChildProcess;
  /** http://127.0.0.1:<port> of its --listen. */
  url: string;
  output: string[];
  readonly exitCode: number | null;
  metrics(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnProxy(server: string, args: string[] = [], opts: { nodeArgs?: string[] } = {}): Promise<ProxyProc> {
  const port = await freePort();
  const cmd = stowageCommand(opts.nodeArgs);
  const child = spawn(cmd[0]!, [...cmd.slice(1), 'proxy', '--server', server, '--listen', `127.0.0.1:${port}`, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STOWAGE_LOG_LEVEL: process.env.STOWAGE_LOG_LEVEL ?? 'info' },
  });
  const output: string[] = [];
  const copy = scanLog('proxy', child.pid);
  const keep = (d: Buffer) => {
    copy(d);
    for (const l of d.toString().split('\n')) if (l) output.push(l);
    if (output.length > 2000) output.splice(0, output.length - 2000);
    if (process.env.PROXY_DEBUG) process.stderr.write(`[proxy] ${d}`);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stowage proxy exited ${child.exitCode}:\n${output.slice(-20).join('\n')}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`stowage proxy not healthy after 30 s:\n${output.slice(-20).join('\n')}`);
    }
    await sleep(50);
  }
  return {
    child,
    url,
    output,
    get exitCode() {
      return child.exitCode;
    },
    metrics: () => fetch(`${url}/metrics`).then((r) => r.text()),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The value of one series in Prometheus text, e.g. metric(text, 'stowage_proxy_errors_total', {reason: 'refused'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}
