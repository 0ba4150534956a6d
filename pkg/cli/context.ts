/**
 * What every command gets: the global flags (given before or after the
 * verb), an API client, where to write, and a clock. Tests pass their own
 * fetch, streams and clock through Deps.
 */
import type { Command } from 'commander';
import { DEFAULT_NAMESPACE } from '../api/kinds.js';
import { DEFAULT_SERVER, StowageClient, type Credentials, type FetchFn } from './client.js';
import { resolveConnection } from './connection.js';
import { nodeFetchWithCa } from './transport.js';
import { CliError } from './errors.js';
import type { OutputFormat } from './printers/formats.js';

export interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: Out;
  stderr: Out;
  stdin?: AsyncIterable<Buffer | string>;
  env: Record<string, string | undefined>;
}

export interface Deps {
  fetch?: FetchFn;
  now?: () => Date;
  /** Aborted on Ctrl-C: watches and waits stop cleanly. */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /** Poll interval of `--wait` and `rollout status`. */
  pollMs?: number;
}

export interface Globals {
  server: string;
  /** The token and where it and the CA came from (connection.ts). */
  credentials: Credentials;
  /** The CA to verify an https:// server against (--ca or the config's). */
  ca?: Buffer;
  namespace: string;
  /** -n was given: a manifest naming another namespace is then an error. */
  namespaceExplicit: boolean;
  allNamespaces: boolean;
  output?: OutputFormat;
}

export interface Ctx {
  g: Globals;
  client: StowageClient;
  io: Io;
  deps: Deps;
  now: () => Date;
  signal: AbortSignal;
  out(s: string): void;
  err(s: string): void;
  sleep(ms: number): Promise<void>;
}

function root(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

export function normalizeServer(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new CliError(`invalid --server "${raw}": expected a URL like ${DEFAULT_SERVER}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CliError(`invalid --server "${raw}": only http and https are supported`);
  }
  return withScheme.replace(/\/+$/, '');
}

export function globalsOf(cmd: Command, env: Io['env']): Globals {
  const o = cmd.optsWithGlobals() as { server?: string; namespace?: string; allNamespaces?: boolean; output?: OutputFormat; tokenFile?: string; ca?: string };
  const src = root(cmd).getOptionValueSource('namespace');
  const c = resolveConnection({ server: o.server, tokenFile: o.tokenFile, ca: o.ca }, env, normalizeServer);
  return {
    server: c.server,
    credentials: {
      ...(c.token !== undefined ? { token: c.token } : {}),
      ...(c.tokenSource !== undefined ? { tokenSource: c.tokenSource } : {}),
      ...(c.caSource !== undefined ? { caSource: c.caSource } : {}),
    },
    ...(c.ca ? { ca: c.ca } : {}),
    namespace: o.namespace ?? DEFAULT_NAMESPACE,
    namespaceExplicit: src === 'cli',
    allNamespaces: !!o.allNamespaces,
    output: o.output,
  };
}

/** A sleep that Ctrl-C cuts short (and that leaves no listener behind). */
const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function makeCtx(cmd: Command, io: Io, deps: Deps): Ctx {
  const g = globalsOf(cmd, io.env);
  const signal = deps.signal ?? new AbortController().signal;
  return {
    g,
    client: new StowageClient(g.server, deps.fetch ?? (g.ca ? nodeFetchWithCa(g.ca) : undefined), g.credentials),
    io,
    deps,
    now: deps.now ?? (() => new Date()),
    signal,
    out: (s) => void io.stdout.write(s),
    err: (s) => void io.stderr.write(s),
    sleep: deps.sleep ?? ((ms) => defaultSleep(ms, signal)),
  };
}

/** The namespace a command acts in: undefined for all namespaces (-A). */
export function listNamespace(ctx: Ctx): string | undefined {
  return ctx.g.allNamespaces ? undefined : ctx.g.namespace;
}
