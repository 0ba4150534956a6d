/**
 * `stowage agent` flags -> AgentConfig, validated up front. Every error
 * names its flag and says what was expected, e.g.
 *   --ports: "31000-" is not a range like 31000-31999
 * Pure: no defaults that need the host (capacity detection is capacity.ts).
 */
import { parseStopAfterDisconnect } from './disconnect.js';
import type { PortRange, Resources } from '../api/types.js';
import { parseEndpoints, type EtcdOptions } from '../store/etcd.js';
import type { RawEtcdFlags } from '../store/etcd-flags.js';
import type { KeyPair } from '../tls/files.js';

export type Driver = 'docker' | 'sim';

export interface AgentConfig {
  /** --etcd: the agent holds etcd credentials (empty with --server). */
  etcd: string[];
  /** --server: the servers' agent API, tried in order on connection errors (empty with --etcd). */
  servers: string[];
  /** --token-file: the token (role node, or admin for hollow nodes) sent to the servers. */
  tokenFile: string | undefined;
  /** --etcd-ca/--etcd-cert/--etcd-key and --etcd-user/--etcd-password, read by the CLI (cli.ts). */
  etcdTls?: EtcdOptions['tls'];
  etcdAuth?: EtcdOptions['auth'];
  /** --tls-cert/--tls-key: the --listen endpoint serves HTTPS. Read by the CLI. */
  tls?: KeyPair;
  /** --server-ca: the CA the servers are verified against over https. Read by the CLI. */
  serverCa?: Buffer;
  /** One node for docker; many for `--driver sim --nodes N`. */
  nodes: string[];
  driver: Driver;
  /** Only what was given; the rest defaults to what the host has. */
  capacity: Partial<Resources>;
  portRanges: PortRange[];
  attributes: Record<string, string>;
  listen: { host: string; port: number };
  /** HOST in task env and the host of the Node's address. */
  advertiseHost: string;
  heartbeatTtl: number;
  /**
   * --stop-after-disconnect: cut off from the cluster for the heartbeat TTL
   * plus this many seconds, the agent stops its containers; 'off': never;
   * undefined: the servers' --node-lost-grace (on --etcd: its default).
   */
  stopAfterDisconnect: number | 'off' | undefined;
  pidsLimit: number;
  /** Each container's RLIMIT_NOFILE and RLIMIT_NPROC (0: the engine's default). */
  nofileLimit: number;
  nprocLimit: number;
  /** Seconds between container stats samples (0: usage is not sampled). */
  usageInterval: number;
  /** The Docker Engine's unix socket (docker driver). */
  dockerSocket: string;
}

/** What commander hands over: strings as typed (attr repeatable). */
export interface RawAgentFlags extends RawEtcdFlags {
  etcd?: string;
  server?: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  serverCa?: string;
  node?: string;
  driver?: string;
  cpus?: string;
  mem?: string;
  disk?: string;
  ports?: string;
  attr?: string[];
  listen?: string;
  advertiseHost?: string;
  heartbeatTtl?: string;
  stopAfterDisconnect?: string;
  pidsLimit?: string;
  nofileLimit?: string;
  nprocLimit?: string;
  usageInterval?: string;
  nodes?: string;
  nodePrefix?: string;
  dockerSocket?: string;
}

/** A bad flag: the CLI prints the message and exits 2. */
export class FlagError extends Error {
  override name = 'FlagError';
}

export const DEFAULT_PORTS = '31000-31999';
/** Caps of every container: open files, and processes of its user (Linux counts RLIMIT_NPROC per user ID across the host). */
export const DEFAULT_NOFILE_LIMIT = 16384;
export const DEFAULT_NPROC_LIMIT = 4096;
const NAME = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;

export function parseAgentFlags(raw: RawAgentFlags): AgentConfig {
  if ((raw.etcd === undefined) === (raw.server === undefined)) {
    throw new FlagError(
      `--etcd, --server: give exactly one of them${raw.etcd !== undefined ? ', not both' : ''}: --server URL[,URL...] (with --token-file) to talk to the servers, or --etcd URLs for a cluster without tokens`,
    );
  }
  if (raw.tokenFile !== undefined && raw.server === undefined) throw new FlagError('--token-file: only with --server (an agent on --etcd sends no token)');
  if (raw.tokenFile !== undefined && raw.tokenFile.trim() === '') throw new FlagError('--token-file: empty; give the path of a file holding the token');
  const etcd = raw.etcd === undefined ? [] : wrap(() => parseEndpoints(raw.etcd!));
  const servers = raw.server === undefined ? [] : parseServers(raw.server);
  const driver = parseDriver(raw.driver ?? 'docker');
  const listen = parseListen(raw.listen ?? '127.0.0.1:0');
  const capacity: Partial<Resources> = {};
  if (raw.cpus !== undefined) capacity.cpus = positive('--cpus', raw.cpus, false);
  if (raw.mem !== undefined) capacity.mem = positive('--mem', raw.mem, true);
  if (raw.disk !== undefined) capacity.disk = nonNegativeInt('--disk', raw.disk);
  const heartbeatTtl = raw.heartbeatTtl === undefined ? 5 : positive('--heartbeat-ttl', raw.heartbeatTtl, true);
  if (heartbeatTtl < 2) throw new FlagError(`--heartbeat-ttl: ${heartbeatTtl} is too short; etcd leases last at least 2 seconds`);
  return {
    etcd,
    servers,
    tokenFile: raw.tokenFile,
    nodes: parseNodes(raw, driver),
    driver,
    capacity,
    portRanges: parsePorts(raw.ports ?? DEFAULT_PORTS),
    attributes: parseAttrs(raw.attr ?? []),
    listen,
    advertiseHost: raw.advertiseHost ?? (isWildcard(listen.host) ? '127.0.0.1' : listen.host),
    heartbeatTtl,
    stopAfterDisconnect: wrap(() => parseStopAfterDisconnect(raw.stopAfterDisconnect)),
    pidsLimit: raw.pidsLimit === undefined ? 1024 : positive('--pids-limit', raw.pidsLimit, true),
    nofileLimit: raw.nofileLimit === undefined ? DEFAULT_NOFILE_LIMIT : nonNegativeInt('--nofile-limit', raw.nofileLimit),
    nprocLimit: raw.nprocLimit === undefined ? DEFAULT_NPROC_LIMIT : nonNegativeInt('--nproc-limit', raw.nprocLimit),
    usageInterval: raw.usageInterval === undefined || raw.usageInterval === '0' ? Number(raw.usageInterval ?? 10) : positive('--usage-interval', raw.usageInterval, false),
    dockerSocket: parseSocket(raw.dockerSocket ?? process.env.DOCKER_HOST ?? '/var/run/docker.sock'),
  };
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new FlagError(e instanceof Error ? e.message : String(e));
  }
}

/** "http://a:7070,https://b:7070": each an http(s) URL of a server, without a path. */
export function parseServers(s: string): string[] {
  const out: string[] = [];
  for (const part of s.split(',')) {
    const p = part.trim();
    let u: URL | undefined;
    try {
      u = new URL(p);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username) {
      throw new FlagError(`--server: "${p}" is not a server URL like http://127.0.0.1:7070`);
    }
    out.push(`${u.protocol}//${u.host}`);
  }
  return out;
}

function parseDriver(s: string): Driver {
  if (s === 'docker' || s === 'sim') return s;
  throw new FlagError(`--driver: "${s}" is not a driver; use docker or sim`);
}

function parseNodes(raw: RawAgentFlags, driver: Driver): string[] {
  if (raw.nodes === undefined) {
    if (raw.node === undefined) throw new FlagError('--node: required (the node name; also its hostname attribute)');
    return [nodeName('--node', raw.node)];
  }
  if (driver !== 'sim') throw new FlagError('--nodes: only with --driver sim (hollow nodes)');
  if (raw.node !== undefined) throw new FlagError('--node: give either --node or --nodes with --node-prefix, not both');
  const n = positive('--nodes', raw.nodes, true);
  if (n > 100_000) throw new FlagError(`--nodes: ${n} is more than 100000`);
  const prefix = raw.nodePrefix ?? 'sim-';
  const width = Math.max(4, String(n).length);
  const names: string[] = [];
  for (let i = 1; i <= n; i++) names.push(`${prefix}${String(i).padStart(width, '0')}`);
  nodeName('--node-prefix', names[0]!);
  return names;
}

function nodeName(flag: string, s: string): string {
  if (!NAME.test(s)) {
    throw new FlagError(`${flag}: "${s}" is not a node name; use lowercase letters, digits, '-', '.' and '_', starting and ending with a letter or digit`);
  }
  return s;
}

/** "31000-31999" or "31000-31099,32000-32099"; a single port "31000" is a range of one. */
export function parsePorts(s: string): PortRange[] {
  const ranges: PortRange[] = [];
  for (const part of s.split(',')) {
    const p = part.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) throw new FlagError(`--ports: "${p}" is not a range like 31000-31999`);
    const begin = Number(m[1]);
    const end = m[2] === undefined ? begin : Number(m[2]);
    if (begin < 1 || end > 65535 || begin > end) {
      throw new FlagError(`--ports: "${p}" is not a range of ports between 1 and 65535 with begin <= end`);
    }
    for (const r of ranges) {
      if (begin <= r.end && r.begin <= end) throw new FlagError(`--ports: "${p}" overlaps ${r.begin}-${r.end}`);
    }
    ranges.push({ begin, end });
  }
  return ranges.sort((a, b) => a.begin - b.begin);
}

export function parseAttrs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    const key = i < 0 ? '' : kv.slice(0, i).trim();
    if (i < 0 || !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(key)) {
      throw new FlagError(`--attr: "${kv}" is not key=value (key: letters, digits, '.', '_', '/', '-')`);
    }
    if (key === 'hostname') throw new FlagError('--attr: "hostname" is the node name; set it with --node');
    out[key] = kv.slice(i + 1).trim();
  }
  return out;
}

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new FlagError(`--listen: "${s}" is not HOST:PORT (e.g. 127.0.0.1:0 for any free port)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function parseSocket(s: string): string {
  const path = s.startsWith('unix://') ? s.slice('unix://'.length) : s;
  if (!path.startsWith('/')) throw new FlagError(`--docker-socket: "${s}" is not a unix socket path (DOCKER_HOST tcp:// is not supported)`);
  return path;
}

const isWildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';

function positive(flag: string, s: string, integer: boolean): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new FlagError(`${flag}: "${s}" is not a positive ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

function nonNegativeInt(flag: string, s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < 0) throw new FlagError(`${flag}: "${s}" is not an integer >= 0`);
  return n;
}
