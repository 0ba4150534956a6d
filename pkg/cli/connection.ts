/**
 * Where stowctl sends a command and with what credentials:
 *
 *   server  --server > $STOWAGE_SERVER > the config's server > http://127.0.0.1:7070
 *   token   --token-file > the config's token (only when the server is the config's)
 *   CA      --ca > the config's ca (only when the server is the config's) > the system CAs
 */
import { readFileSync } from 'node:fs';
import { parseToken } from '../http/bearer.js';
import { DEFAULT_SERVER } from './client.js';
import { configPath, readConfig, sameServer } from './config.js';
import { CliError } from './errors.js';

export interface Connection {
  server: string;
  token?: string;
  /** Where the token came from, for messages ("--token-file t.txt", "/root/.stowage/config"); never the token. */
  tokenSource?: string;
  ca?: Buffer;
  /** Where the CA came from, for messages. */
  caSource?: string;
}

export interface ConnectionFlags {
  server?: string;
  tokenFile?: string;
  ca?: string;
}

function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The CA file's PEM, checked to hold a certificate; the message names where the path came from. */
export function readCa(source: string, path: string): Buffer {
  const pem = readFlagFile(source, path);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`${source}: ${path} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----")`);
  return Buffer.from(pem);
}

export function resolveConnection(flags: ConnectionFlags, env: Record<string, string | undefined>, normalize: (s: string) => string): Connection {
  const path = configPath(env);
  const cfg = path ? readConfig(path) : undefined;
  const server = normalize(flags.server ?? env.STOWAGE_SERVER ?? cfg?.server ?? DEFAULT_SERVER);
  const own = cfg !== undefined && sameServer(server, cfg.server);
  const c: Connection = { server };
  if (flags.tokenFile !== undefined) {
    c.token = tokenOf('--token-file', flags.tokenFile, readFlagFile('--token-file', flags.tokenFile));
    c.tokenSource = `--token-file ${flags.tokenFile}`;
  } else if (own && cfg.token !== undefined) {
    c.token = cfg.token;
    c.tokenSource = path;
  }
  if (flags.ca !== undefined) {
    c.ca = readCa('--ca', flags.ca);
    c.caSource = `--ca ${flags.ca}`;
  } else if (own && cfg.ca !== undefined) {
    c.ca = readCa(`${path}: ca`, cfg.ca);
    c.caSource = `${cfg.ca} (the ca of ${path})`;
  }
  return c;
}

function tokenOf(flag: string, source: string, text: string): string {
  try {
    return parseToken(flag, source, text);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}
