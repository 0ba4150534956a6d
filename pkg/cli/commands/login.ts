/**
 * `stowctl login --server URL (--token-file F | --token -) [--ca F]`: check
 * the token against the server (over TLS verified with the CA), then write
 * the config file (config.ts, mode 0600). Nothing is written when the server
 * cannot be reached, cannot be verified or refuses the token.
 *
 * `stowctl config view`: the config with its token masked.
 */
import { ApiError } from '../../api/errors.js';
import { StowageClient, type FetchFn } from '../client.js';
import { configPath, formatMasked, readConfig, writeConfig, type StowctlConfig } from '../config.js';
import { readCa } from '../connection.js';
import { normalizeServer, type Deps, type Io } from '../context.js';
import { CliError } from '../errors.js';
import { parseToken } from '../../http/bearer.js';
import { nodeFetchWithCa } from '../transport.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface LoginOpts {
  server?: string;
  tokenFile?: string;
  token?: string;
  ca?: string;
}

async function readStdin(io: Io): Promise<string> {
  if (!io.stdin) throw new CliError('--token: "-" reads the token from stdin, and there is none');
  let s = '';
  for await (const chunk of io.stdin) {
    s += chunk.toString();
    if (s.length > 64 << 10) throw new CliError('--token: more than 64 KiB on stdin; expected one token');
  }
  return s;
}

export async function runLogin(o: LoginOpts, io: Io, deps: Deps): Promise<void> {
  const path = configPath(io.env);
  if (!path) throw new CliError('no place for the config: set HOME or STOWAGE_CONFIG');
  const rawServer = o.server ?? io.env.STOWAGE_SERVER;
  if (rawServer === undefined) throw new CliError('--server: required (the URL of the Stowage server, e.g. https://127.0.0.1:7070)');
  const server = normalizeServer(rawServer);
  if (o.token !== undefined && o.tokenFile !== undefined) throw new CliError('--token: give either --token - or --token-file, not both');
  let token: string;
  const parse = (flag: string, source: string, text: string) => {
    try {
      return parseToken(flag, source, text);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  };
  if (o.token !== undefined) {
    if (o.token !== '-') throw new CliError('--token: give "-" and the token on stdin; a token on the command line is visible to every user of this host');
    token = parse('--token', 'stdin', await readStdin(io));
  } else if (o.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.tokenFile, 'utf8');
    } catch (e) {
      throw new CliError(`--token-file: cannot read ${o.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    token = parse('--token-file', o.tokenFile, text);
  } else {
    throw new CliError('--token-file: required (or --token - to read the token from stdin)');
  }
  const caPath = o.ca === undefined ? undefined : resolve(o.ca);
  if (caPath && !server.startsWith('https:')) throw new CliError(`--ca: the server ${server} is plain http://; give an https:// --server`);
  const ca = caPath ? readCa('--ca', caPath) : undefined;
  const fetchFn: FetchFn | undefined = deps.fetch ?? (ca ? nodeFetchWithCa(ca) : undefined);
  const client = new StowageClient(server, fetchFn, { token, tokenSource: o.token !== undefined ? 'stdin' : `--token-file ${o.tokenFile}`, ...(caPath ? { caSource: `--ca ${caPath}` } : {}) });
  // Any answer but 401 proves the token: a token of a narrow role may be refused this list (403).
  try {
    await client.get('/api/v1/namespaces');
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
  const cfg: StowctlConfig = { server, token, ...(caPath ? { ca: caPath } : {}) };
  writeConfig(path, cfg);
  io.stdout.write(`logged in to ${server}; wrote ${path} (mode 0600)\n`);
}

/** `stowctl config view`: the config file with its token masked. */
export function runConfigView(io: Io): void {
  const path = configPath(io.env);
  if (!path) throw new CliError('no config file: set HOME or STOWAGE_CONFIG');
  const cfg = readConfig(path);
  if (!cfg) throw new CliError(`no config at ${path}; write one with \`stowctl login --server URL --token-file FILE [--ca FILE]\``);
  io.stdout.write(`# ${path}\n${formatMasked(cfg)}`);
}
