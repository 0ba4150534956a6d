/**
 * fetch() on top of node:http. Node's own fetch refuses the ports WHATWG
 * calls unsafe (1, 6000, 6667, ...) with a bare "bad port", and stowctl
 * must say which address it really failed to reach, e.g.
 * `connect ECONNREFUSED 127.0.0.1:1`. Enough of fetch for StowageClient:
 * method, headers, string body, abort signal, streamed response body;
 * https:// verified against `ca` when given (else the system CAs).
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export const nodeFetch: typeof fetch = (input, init) => fetchWith({}, input, init);

/** A fetch that verifies https:// servers against this CA. */
export const nodeFetchWithCa = (ca: Buffer): typeof fetch => (input, init) => fetchWith({ ca }, input, init);

const fetchWith = async (tls: { ca?: Buffer }, input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  // node:https brings TLS and crypto (a few ms of a start): only an https:// server needs it
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = typeof init.body === 'string' ? init.body : undefined;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request(url, { method: init.method ?? 'GET', headers, signal, ...(url.protocol === 'https:' ? tls : {}) });
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
        else if (v !== undefined) h.set(k, v);
      }
      // A Response may not carry a body for these statuses.
      const noBody = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
      if (noBody) res.resume();
      const stream = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(stream, { status: res.statusCode ?? 500, statusText: res.statusMessage ?? '', headers: h }));
    });
    req.end(body);
  });
};
