/**
 * The proxy's own HTTP face (`--listen`):
 *
 *   GET /healthz   200 once the endpoints list is loaded, 503 before
 *   GET /metrics   the proxy's registry (pkg/metrics/proxy.ts)
 *
 * Errors are JSON {code, message, details}, as everywhere in Stowage.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { answerRefusedRequests } from '../http/client-error.js';
import { parseTarget, requireHost } from '../http/target.js';
import { errMsg, type Logger } from '../log/logger.js';
import { proxyRegistry } from '../metrics/proxy.js';

export interface ProxyHttpOptions {
  host: string;
  port: number;
  log: Logger;
  synced: () => boolean;
}

export interface ProxyHttp {
  /** The bound address, e.g. 127.0.0.1:7072. */
  address: string;
  close(): Promise<void>;
}

export async function startProxyHttp(o: ProxyHttpOptions): Promise<ProxyHttp> {
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    res.on('error', (e) => o.log.debug('proxy http response error', { url: req.url, error: errMsg(e) }));
    handle(o, req, res).catch((e) => {
      if (e instanceof ApiError) return send(res, e.status, { code: e.code, message: e.message, details: e.details });
      o.log.warn('proxy http request failed', { url: req.url, error: errMsg(e) });
      send(res, 500, { code: 'Internal', message: errMsg(e), details: [] });
    });
  });
  answerRefusedRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  server.on('error', (e) => o.log.error('proxy http server error', { error: errMsg(e) }));
  const a = server.address();
  return {
    address: typeof a === 'object' && a ? `${a.address}:${a.port}` : `${o.host}:${o.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function handle(o: ProxyHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  requireHost(req);
  const url = parseTarget(req.url);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, { code: 'BadRequest', message: `${req.method} is not allowed; the proxy serves GET /metrics and /healthz`, details: [] });
  }
  switch (url.pathname) {
    case '/healthz':
      if (o.synced()) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
      else res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('waiting for the endpoints list from the server\n');
      return;
    case '/metrics': {
      const body = await proxyRegistry.metrics();
      res.writeHead(200, { 'content-type': proxyRegistry.contentType }).end(body);
      return;
    }
  }
  send(res, 404, { code: 'NotFound', message: `no route ${url.pathname}; the proxy serves /metrics and /healthz`, details: [] });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
