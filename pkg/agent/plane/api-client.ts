/**
 * The agent's HTTP client of the servers' agent API (`--server URL[,URL...]`,
 * `--token-file`): JSON calls and event streams, with the token as a Bearer
 * header (never logged). A connection error or a 503 moves on to the next
 * server, in order, and the one that answered is tried first next time.
 * Errors come back as the server's ApiError (code, message).
 *
 * The transport (http or https, keep-alive, and later the CA) is made in one
 * place: transportFor(). Calls go in lanes with sockets of their own: the
 * heartbeat never waits behind a burst of registrations or status writes
 * (its lease would run out meanwhile), task status writes never wait behind
 * usage reports (5,000 hollow nodes report usage in bursts of 5,000 calls),
 * and the assignment stream holds its own connection.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ApiError, type ErrorCode } from '../../api/errors.js';

/** bulk: everything else (up to 32 connections); heartbeat; status: task status writes (8); stream: the long-lived assignment stream. */
export type Lane = 'bulk' | 'heartbeat' | 'status' | 'stream';

export interface ApiClientOptions {
  urls: string[];
  /** The token; undefined for a server without --tokens. */
  token: string | undefined;
  /** How long a JSON call may take. */
  timeoutMs?: number;
  /** The CA an https:// server is verified against (none: the system's). */
  ca?: Buffer;
}

interface Transport {
  request: typeof httpRequest;
  agent: HttpAgent;
}

const sharedAgents = new Map<string, Transport>();

/** The one place the connection to a server is made (TLS options go here). */
/** Transports of clients that verify against a CA of their own, by that CA. */
const agentsByCa = new WeakMap<Buffer, Map<string, Transport>>();

function transportFor(url: URL, lane: Lane, ca: Buffer | undefined): Transport {
  const key = `${url.protocol}${lane}`;
  let agents = sharedAgents;
  if (ca) {
    agents = agentsByCa.get(ca) ?? new Map();
    agentsByCa.set(ca, agents);
  }
  let t = agents.get(key);
  if (!t) {
    const opts = { keepAlive: true, maxSockets: lane === 'bulk' ? 32 : lane === 'status' ? 8 : 2 };
    t =
      url.protocol === 'https:'
        ? { request: httpsRequest as unknown as typeof httpRequest, agent: new HttpsAgent({ ...opts, ...(ca ? { ca } : {}) }) }
        : { request: httpRequest, agent: new HttpAgent(opts) };
    agents.set(key, t);
  }
  return t;
}

const CODES = new Set<ErrorCode>(['BadRequest', 'Invalid', 'Unauthorized', 'Forbidden', 'TooManyRequests', 'NotFound', 'AlreadyExists', 'Conflict', 'TooLarge', 'Unavailable', 'Fenced', 'Gone', 'Refused', 'Internal']);

/** A failure that says nothing about the request: try the next server. */
class Unreachable extends Error {}

export class ApiClient {
  private current = 0;
  private readonly timeoutMs: number;

  constructor(private readonly o: ApiClientOptions) {
    if (o.urls.length === 0) throw new Error('no server URL');
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** The server tried first. */
  get server(): string {
    return this.o.urls[this.current]!;
  }

  /** A JSON call; resolves with the parsed answer of a 2xx, throws the server's ApiError otherwise. */
  async call<T>(method: string, path: string, body?: unknown, opts: { timeoutMs?: number; lane?: Lane } = {}): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.failover((url) => this.send(url, method, path, payload, opts.timeoutMs ?? this.timeoutMs, 'application/json', opts.lane ?? 'bulk'));
    const text = await readAll(res);
    if (res.statusCode! >= 200 && res.statusCode! < 300) return (text ? JSON.parse(text) : undefined) as T;
    throw errorOf(res.statusCode!, text);
  }

  /**
   * Open an event stream (GET, text/event-stream). Resolves with the
   * response once a server answered 200; the caller reads and ends it.
   */
  async stream(path: string): Promise<IncomingMessage> {
    const res = await this.failover((url) => this.send(url, 'GET', path, undefined, this.timeoutMs, 'text/event-stream', 'stream'));
    if (res.statusCode === 200) {
      res.socket?.setTimeout(0);
      return res;
    }
    throw errorOf(res.statusCode!, await readAll(res));
  }

  private async failover(attempt: (url: string) => Promise<IncomingMessage>): Promise<IncomingMessage> {
    let last: unknown;
    for (let i = 0; i < this.o.urls.length; i++) {
      const at = (this.current + i) % this.o.urls.length;
      try {
        const res = await attempt(this.o.urls[at]!);
        // a server cut off from etcd answers 503: another may not be
        if (res.statusCode === 503 && i < this.o.urls.length - 1) {
          last = errorOf(503, await readAll(res));
          continue;
        }
        this.current = at;
        return res;
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
        last = e;
      }
    }
    if (last instanceof ApiError) throw last;
    throw new ApiError('Unavailable', `no server answered (${this.o.urls.join(', ')}): ${last instanceof Error ? last.message : String(last)}`);
  }

  private send(base: string, method: string, path: string, payload: Buffer | undefined, timeoutMs: number, accept: string, lane: Lane): Promise<IncomingMessage> {
    const url = new URL(path, base);
    const t = transportFor(url, lane, this.o.ca);
    const headers: Record<string, string> = { accept };
    if (this.o.token !== undefined) headers.authorization = `Bearer ${this.o.token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const opts: RequestOptions = { method, headers, agent: t.agent, timeout: timeoutMs };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = t.request(url, opts, (res) => {
        res.on('error', () => undefined);
        resolve(res);
      });
      req.on('timeout', () => req.destroy(new Error(`${base} did not answer in ${timeoutMs} ms`)));
      req.on('error', (e) => reject(new Unreachable(`${base}: ${e.message}`)));
      req.end(payload);
    });
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', (e) => reject(new ApiError('Unavailable', `the answer was cut off: ${e.message}`)));
    res.on('aborted', () => reject(new ApiError('Unavailable', 'the answer was cut off')));
  });
}

function errorOf(status: number, text: string): ApiError {
  try {
    const b = JSON.parse(text) as { code?: string; message?: string; details?: [] };
    if (b.code && CODES.has(b.code as ErrorCode)) return new ApiError(b.code as ErrorCode, b.message ?? '', b.details ?? []);
  } catch {
    // not the API's error shape
  }
  const code: ErrorCode = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : status === 429 ? 'TooManyRequests' : status >= 500 ? 'Unavailable' : 'BadRequest';
  return new ApiError(code, `server answered ${status}: ${text.slice(0, 200)}`);
}
