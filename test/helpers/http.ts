/** One HTTP request to the API for tests, on a connection of its own unless an agent is given. */
import { request, type Agent } from 'node:http';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  /** How long the request took. */
  ms: number;
}

export interface CallOptions {
  agent?: Agent;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** `body` is sent as JSON unless it is a string or a Buffer. */
export function call(base: string, method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Answer> {
  const u = new URL(path, base);
  const t0 = Date.now();
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const timeout = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: opts.agent ?? false, timeout, headers: { 'content-type': 'application/json', ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms: Date.now() - t0 });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeout} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
