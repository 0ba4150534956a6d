/**
 * A small fetch-style client of the Stowage HTTP API (docs/api.md).
 * Every failure becomes one of two errors callers can branch on:
 *   - UnreachableError: no HTTP answer at all (names the server tried);
 *   - ApiError: the server's JSON `{code, message, details}`, or one made up
 *     from the HTTP status when the body is not that.
 */
import { ApiError, type ErrorCode, type ErrorDetail } from '../api/errors.js';
import { CliError, UnreachableError } from './errors.js';
import { nodeFetch } from './transport.js';

export interface Credentials {
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** Where the token came from (never the token), for the message of a 401. */
  tokenSource?: string;
  /** Where the CA came from, for the message of a failed verification. */
  caSource?: string;
}

/** Node's codes for a server certificate that does not verify. */
const CERT_CODES = /^(UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

/** A TLS failure said as what to do about it; undefined for other network errors. */
export function tlsProblem(e: unknown, server: string, creds: Credentials): string | undefined {
  let c: unknown = e instanceof Error && e.cause !== undefined ? e.cause : e;
  if (c instanceof AggregateError && c.errors.length > 0) c = c.errors[0];
  const code = (c as NodeJS.ErrnoException | undefined)?.code ?? '';
  const msg = c instanceof Error ? c.message : String(c);
  if (CERT_CODES.test(code)) {
    const against = creds.caSource ? `the CA in ${creds.caSource}` : "the system's CAs (no CA given: stowctl login --ca FILE, or --ca FILE)";
    return `cannot verify the Stowage server at ${server} against ${against}: ${msg} (${code})`;
  }
  if (server.startsWith('https:') && (code === 'EPROTO' || /wrong version number|packet length too long/i.test(msg))) {
    return `the Stowage server at ${server} does not speak TLS (${msg}); is it plain http://?`;
  }
  return undefined;
}

export type Query = Record<string, string | number | boolean | undefined>;
export type FetchFn = typeof fetch;

export { DEFAULT_SERVER } from './default-server.js';

const CODES = new Set<string>([
  'BadRequest', 'Unauthorized', 'Forbidden', 'TooManyRequests', 'Invalid', 'NotFound', 'AlreadyExists', 'Conflict', 'TooLarge', 'Unavailable', 'Fenced', 'Gone', 'Internal',
]);

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 429: return 'TooManyRequests';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 413: return 'TooLarge';
    case 422: return 'Invalid';
    case 503: return 'Unavailable';
    default: return 'Internal';
  }
}

/** "connect ECONNREFUSED 127.0.0.1:1" from undici's `fetch failed` TypeError. */
export function networkCause(e: unknown): string {
  let c: unknown = e instanceof Error && e.cause !== undefined ? e.cause : e;
  // Happy eyeballs: several addresses tried, one error each.
  if (c instanceof AggregateError && c.errors.length > 0) c = c.errors[0];
  if (c instanceof Error) {
    const code = (c as NodeJS.ErrnoException).code;
    if (c.message) return c.message;
    if (code) return code;
  }
  return String(c);
}

/** Turn a non-2xx response into an ApiError. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof j.message === 'string') {
      const code = typeof j.code === 'string' && CODES.has(j.code) ? (j.code as ErrorCode) : codeForStatus(res.status);
      const details = Array.isArray(j.details) ? (j.details as ErrorDetail[]).filter((d) => d && typeof d.message === 'string') : [];
      return new ApiError(code, j.message, details);
    }
  } catch {
    // not JSON: fall through
  }
  const body = text.trim().slice(0, 200);
  return new ApiError(codeForStatus(res.status), `the server answered HTTP ${res.status} ${res.statusText}${body ? `: ${body}` : ''}`);
}

export class StowageClient {
  readonly server: string;
  private readonly fetchFn: FetchFn;

  constructor(
    server: string,
    fetchFn: FetchFn = nodeFetch,
    private readonly creds: Credentials = {},
  ) {
    this.server = server.replace(/\/+$/, '');
    this.fetchFn = fetchFn;
  }

  url(path: string, query?: Query): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return `${this.server}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Send a request; resolve with the response if 2xx, else throw. */
  async open(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.creds.token !== undefined) headers.authorization = `Bearer ${this.creds.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path, opts.query), { method, headers, body, signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const tls = tlsProblem(e, this.server, this.creds);
      if (tls) throw new CliError(tls);
      if (this.server.startsWith('http:') && /socket hang up|ECONNRESET/.test(networkCause(e))) {
        throw new UnreachableError(this.server, `${networkCause(e)}; if the server serves HTTPS, use https://`);
      }
      throw new UnreachableError(this.server, networkCause(e));
    }
    if (res.status === 401) {
      const err = await errorFromResponse(res);
      throw new CliError(
        this.creds.token === undefined
          ? `${err.message} (HTTP 401): the server at ${this.server} asks for a token; run \`stowctl login --server ${this.server} --token-file FILE\` or give --token-file`
          : `${err.message} (HTTP 401): the server at ${this.server} refused the token from ${this.creds.tokenSource ?? 'this client'}`,
      );
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const res = await this.open(method, path, { ...opts, headers: { accept: 'application/json' } });
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('Internal', `the server answered with something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}
