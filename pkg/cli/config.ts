/**
 * stowctl's configuration file: `~/.stowage/config` ($STOWAGE_CONFIG to
 * point elsewhere), written by `stowctl login`, mode 0600 in a 0700 directory:
 *
 *   server: https://127.0.0.1:7070
 *   token: <the API token>
 *   ca: /abs/path/ca.pem          # the CA the server's certificate is verified against
 *
 * Its token and CA go only to its own server: a command sent elsewhere
 * (--server or STOWAGE_SERVER naming another URL) sends neither.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { CliError } from './errors.js';

export interface StowctlConfig {
  server: string;
  token?: string;
  /** Absolute path of a PEM CA. */
  ca?: string;
}

const FIELDS = ['server', 'token', 'ca'] as const;

/** Where the config is: $STOWAGE_CONFIG, else $HOME/.stowage/config; none without either. */
export function configPath(env: Record<string, string | undefined>): string | undefined {
  if (env.STOWAGE_CONFIG) return resolve(env.STOWAGE_CONFIG);
  return env.HOME ? join(env.HOME, '.stowage', 'config') : undefined;
}

/** A URL as stowctl compares them: scheme and host lowercased, no trailing slash. */
export function sameServer(a: string, b: string): boolean {
  const norm = (s: string) => {
    try {
      const u = new URL(s);
      return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      return s.replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

/** Parse the file's text; every error names the file and the field. A relative `ca` is relative to the file. */
export function parseConfig(text: string, path: string): StowctlConfig {
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : load(text, { filename: path });
  } catch (e) {
    throw new CliError(`${path}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`${path}: expected a mapping with server, token and ca`);
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(FIELDS as readonly string[]).includes(k)) throw new CliError(`${path}: ${k}: unknown field; the fields are ${FIELDS.join(', ')}`);
  }
  if (typeof o.server !== 'string' || !/^https?:\/\/[^/\s]+\/?$/.test(o.server)) {
    throw new CliError(`${path}: server: must be an http:// or https:// URL like https://127.0.0.1:7070${o.server === undefined ? ' (missing)' : ''}`);
  }
  const cfg: StowctlConfig = { server: o.server.replace(/\/+$/, '') };
  if (o.token !== undefined && o.token !== null) {
    if (typeof o.token !== 'string' || !/^[\x21-\x7e]+$/.test(o.token)) throw new CliError(`${path}: token: must be one token (printable characters without spaces)`);
    cfg.token = o.token;
  }
  if (o.ca !== undefined && o.ca !== null) {
    if (typeof o.ca !== 'string' || o.ca.trim() === '') throw new CliError(`${path}: ca: must be the path of a PEM CA file`);
    cfg.ca = isAbsolute(o.ca) ? o.ca : resolve(dirname(path), o.ca);
  }
  return cfg;
}

export function formatConfig(cfg: StowctlConfig): string {
  const o: Record<string, string> = { server: cfg.server };
  if (cfg.token !== undefined) o.token = cfg.token;
  if (cfg.ca !== undefined) o.ca = cfg.ca;
  return `# stowctl configuration, written by \`stowctl login\`; keep it private (mode 0600)\n${dump(o)}`;
}

/** "REDACTED (sha256 1a2b3c4d5e6f…)": the hash prefix is what the server's --tokens file lists. */
export function maskToken(token: string): string {
  return `REDACTED (sha256 ${createHash('sha256').update(token).digest('hex').slice(0, 12)}…)`;
}

/** The config as `stowctl config view` prints it: the token masked. */
export function formatMasked(cfg: StowctlConfig): string {
  return [`server: ${cfg.server}`, `token: ${cfg.token === undefined ? '(none)' : maskToken(cfg.token)}`, `ca: ${cfg.ca ?? '(none: the system CAs)'}`].join('\n') + '\n';
}

/** The config at `path`; undefined when there is no file. */
export function readConfig(path: string): StowctlConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseConfig(text, path);
}

/** Write it readable by this user only: a file of mode 0600 renamed into place (never a moment with other modes). */
export function writeConfig(path: string, cfg: StowctlConfig): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, formatConfig(cfg), { mode: 0o600 });
    chmodSync(tmp, 0o600); // the umask may have taken bits off; never more than 0600
    renameSync(tmp, path);
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
