/**
 * `stowage proxy` flags -> ProxyConfig, checked up front. Every error names
 * its flag and the rule, e.g.
 *   --balance: "random" is not one of round-robin, least-connections
 * The CLI prints it after `error: ` and exits 2.
 */
import { parseLogLevel, type LogLevel } from '../log/level.js';
import { STRATEGIES, type Strategy } from './balance.js';
import { readTokenFile } from '../http/bearer.js';
import { readCertificates } from '../tls/files.js';

export interface ProxyConfig {
  server: URL;
  /** Where /metrics and /healthz are served; none when the flag is absent. */
  listen?: { host: string; port: number };
  balance: Strategy;
  logLevel: LogLevel;
  /** `--server-ca`: the CA an https:// server is verified against (none: the system's). */
  serverCa?: Buffer;
  /** `--token-file`: read again on every connection (a rotated token is picked up). */
  tokenFile?: string;
}

export interface RawProxyFlags {
  server?: string;
  listen?: string;
  balance?: string;
  logLevel?: string;
  serverCa?: string;
  tokenFile?: string;
  /** commander's getOptionValueSource('logLevel'): 'env' names STOWAGE_LOG_LEVEL in the message. */
  logLevelSource?: string;
}

export class ProxyFlagError extends Error {
  override name = 'ProxyFlagError';
}

export function parseProxyFlags(raw: RawProxyFlags, env: Record<string, string | undefined> = {}): ProxyConfig {
  const balance = raw.balance ?? 'round-robin';
  if (!(STRATEGIES as readonly string[]).includes(balance)) throw new ProxyFlagError(`--balance: "${balance}" is not one of ${STRATEGIES.join(', ')}`);
  let logLevel: LogLevel;
  try {
    logLevel = parseLogLevel(raw.logLevel ?? 'info', raw.logLevelSource);
  } catch (e) {
    throw new ProxyFlagError((e as Error).message);
  }
  const cfg: ProxyConfig = { server: parseServer(raw.server ?? env.STOWAGE_SERVER ?? 'http://127.0.0.1:7070'), balance: balance as Strategy, logLevel };
  if (raw.listen !== undefined) cfg.listen = parseListen(raw.listen);
  try {
    if (raw.serverCa !== undefined) {
      if (cfg.server.protocol !== 'https:') throw new ProxyFlagError(`--server-ca: the server ${cfg.server.origin} is plain http://; give an https:// --server`);
      cfg.serverCa = readCertificates('--server-ca', raw.serverCa);
    }
    if (raw.tokenFile !== undefined) {
      readTokenFile('--token-file', raw.tokenFile);
      cfg.tokenFile = raw.tokenFile;
    }
  } catch (e) {
    if (e instanceof ProxyFlagError) throw e;
    throw new ProxyFlagError((e as Error).message);
  }
  return cfg;
}

function parseServer(v: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || u.search || u.hash || u.username || u.password) {
    throw new ProxyFlagError(`--server: "${v}" is not an http:// or https:// URL of the API server (e.g. http://127.0.0.1:7070)`);
  }
  return u;
}

function parseListen(v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ProxyFlagError(`--listen: "${v}" is not HOST:PORT (e.g. 127.0.0.1:7072)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
