/**
 * Request targets, parsed so that nothing but a 400 can come out of them:
 *
 *   "/api/v1/services/default/web?watch=1"  origin-form: split at "?" by hand
 *   "http://host:7070/api/v1/services"      absolute-form: URL, inside a try
 *   "*", "//[", "http://[::1", "x"           400 BadRequest naming the target
 *
 * Node's `new URL(target, base)` reads an origin-form target that starts
 * with "//" as a host and throws on "//[", "//x:99999" or "//a b"; that is
 * why origin-form never goes through URL. Path segments are percent-decoded
 * one by one, and a bad escape ("%zz") is a 400 naming the segment. A
 * missing Host header is a 400 too.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../api/errors.js';

export interface RequestTarget {
  /** As sent, still percent-encoded; starts with "/". */
  pathname: string;
  /** "" or "?..." as sent. */
  search: string;
  searchParams: URLSearchParams;
}

/** scheme "://" (RFC 3986): what makes a target absolute-form. */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function parseTarget(raw: string | undefined): RequestTarget {
  const t = raw ?? '/';
  if (t.startsWith('/')) return split(t);
  if (ABSOLUTE.test(t)) {
    let u: URL;
    try {
      u = new URL(t);
    } catch {
      throw badTarget(t, 'is not a valid URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badTarget(t, `is a ${u.protocol.slice(0, -1)} URL; only http and https are served`);
    return split(u.pathname + u.search);
  }
  throw badTarget(t, 'must be a path starting with "/" (or an absolute http URL)');
}

/** The non-empty segments of a path, percent-decoded; a bad escape is a 400 naming the segment. */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        const message = `path segment ${quote(s)} is not valid percent-encoding (a "%" must start an escape like %2F of UTF-8 bytes)`;
        throw new ApiError('BadRequest', `request target: ${message}`, [{ field: 'path', rule: 'percentEncoding', message }]);
      }
    });
}

/**
 * HTTP/1.1 requires a Host header (RFC 9112 3.2). Node checks it itself but
 * answers with an empty 400; the servers turn that off and call this instead.
 */
export function requireHost(req: IncomingMessage): void {
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    throw new ApiError('BadRequest', 'an HTTP/1.1 request needs a Host header', [{ field: 'host', rule: 'required', message: 'required in HTTP/1.1' }]);
  }
}

/** A value from the request, quoted for a message: JSON escapes, cut after 100 characters. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}...` : s);
}

function split(t: string): RequestTarget {
  const hash = t.indexOf('#');
  const noFragment = hash < 0 ? t : t.slice(0, hash);
  const q = noFragment.indexOf('?');
  const pathname = q < 0 ? noFragment : noFragment.slice(0, q);
  const search = q < 0 ? '' : noFragment.slice(q);
  // URLSearchParams never throws: a bad escape in a query value stays as sent
  return { pathname, search, searchParams: new URLSearchParams(search) };
}

function badTarget(t: string, why: string): ApiError {
  const message = `request target ${quote(t)} ${why}`;
  return new ApiError('BadRequest', message, [{ field: 'requestTarget', rule: 'url', message }]);
}
