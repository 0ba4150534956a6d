/**
 * A small fetch-style client of the Stowage HTTP API (docs/api.md).
 * Every failure becomes one of two errors callers can branch on:
 *   - UnreachableError: no HTTP answer at all (names the server tried);
 *   - ApiError: the server's JSON `{code, message, details}`, or one made up
 *     from the HTTP status when the body is not that.
 */
import { ApiError, type ErrorCode, type ErrorDetail } from '../api/errors.js';
import { UnreachableError } from './errors.js';
import { nodeFetch } from './transport.js';

export type Query = Record<string, string | number | boolean | undefined>;
export type FetchFn = typeof fetch;

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

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

  constructor(server: string, fetchFn: FetchFn = nodeFetch) {
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
      throw new UnreachableError(this.server, networkCause(e));
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
