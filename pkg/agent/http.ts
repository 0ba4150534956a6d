/**
 * The agent's --listen endpoint (its address is the Node's spec.address):
 *
 *   GET /healthz                                 ok
 *   GET /metrics                                 Prometheus text
 *   GET /tasks/<ns>/<name>/log?follow=1&tail=N   the task's stdout+stderr, text/plain;
 *                                                streams while follow, until the client goes
 *
 * The API server proxies `GET /api/v1/tasks/<ns>/<name>/log` here, and
 * `stowctl logs` reaches it through that. Errors are JSON {code, message, details}.
 *
 * The log route answers only the servers: the agent makes a random secret
 * at start and hands it over when it registers its nodes (kept in etcd
 * where no API reader sees it); the log proxy sends it as a Bearer token,
 * compared here in constant time; anything else gets 401. /healthz and
 * /metrics stay open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHttpServer } from '../http/serve.js';
import type { KeyPair } from '../tls/files.js';
import type { Readable } from 'node:stream';
import { ApiError } from '../api/errors.js';
import { answerRefusedRequests } from '../http/client-error.js';
import { parseTarget, pathSegments, requireHost } from '../http/target.js';
import { RuntimeError } from './runtime/runtime.js';
import { errMsg, type Logger } from '../log/logger.js';

export interface LogSource {
  /** Open the output of a task this process runs; undefined when it runs no such task. */
  openLogs(ns: string, name: string, opts: { follow: boolean; tail?: number }): Promise<Readable | undefined>;
}

export interface AgentServerOptions {
  host: string;
  port: number;
  /** Serve HTTPS (`--tls-cert/--tls-key`). */
  tls?: KeyPair;
  logs: LogSource;
  metrics: () => Promise<{ contentType: string; body: string }>;
  log: Logger;
  /** The secret the log route wants as `Authorization: Bearer`; none: the route is open (tests). */
  secret?: string;
}

export interface AgentServer {
  /** The bound port (when --listen asked for 0). */
  port: number;
  close(): Promise<void>;
}

const LOG_PATH = /^\/tasks\/([^/]+)\/([^/]+)\/log$/;

export async function startAgentServer(o: AgentServerOptions): Promise<AgentServer> {
  const server: Server = createHttpServer(o.tls, (req, res) => {
    // a write after the client left emits 'error' on res: never let it end the process
    res.on('error', (e) => o.log.debug('agent http response error', { url: req.url, error: errMsg(e) }));
    handle(o, req, res).catch((e) => {
      if (e instanceof ApiError) return fail(res, e.status, e.code, e.message, e.details[0]?.field);
      o.log.warn('agent http request failed', { url: req.url, error: errMsg(e) });
      fail(res, 500, 'Internal', errMsg(e));
    });
  });
  answerRefusedRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  server.on('error', (e) => o.log.error('agent http server error', { error: errMsg(e) }));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : o.port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function handle(o: AgentServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  requireHost(req);
  const url = parseTarget(req.url);
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'BadRequest', `${req.method} is not allowed; the agent serves GET only`);
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
    return;
  }
  if (url.pathname === '/metrics') {
    const m = await o.metrics();
    res.writeHead(200, { 'content-type': m.contentType }).end(m.body);
    return;
  }
  const m = LOG_PATH.exec(url.pathname);
  if (!m) return fail(res, 404, 'NotFound', `no route ${url.pathname}; try /tasks/<namespace>/<name>/log`);
  if (o.secret !== undefined && !bearerMatches(req.headers.authorization, o.secret)) {
    return fail(res, 401, 'Unauthorized', 'task logs are served to the stowage servers only: ask the API (GET /api/v1/tasks/<namespace>/<name>/log)');
  }
  const [ns, name] = pathSegments(`${m[1]!}/${m[2]!}`) as [string, string];
  const follow = ['1', 'true', 'yes'].includes(url.searchParams.get('follow') ?? '');
  const tailRaw = url.searchParams.get('tail');
  let tail: number | undefined;
  if (tailRaw !== null && tailRaw !== '') {
    tail = Number(tailRaw);
    if (!Number.isSafeInteger(tail) || tail < 0) return fail(res, 400, 'BadRequest', `tail: "${tailRaw}" is not an integer >= 0`, 'tail');
  }
  let stream: Readable | undefined;
  try {
    stream = await o.logs.openLogs(ns, name, { follow, ...(tail !== undefined ? { tail } : {}) });
  } catch (e) {
    // the container went between the lookup and the read
    if (!(e instanceof RuntimeError && e.reason === 'ContainerNotFound')) throw e;
  }
  if (!stream) return fail(res, 404, 'NotFound', `task "${name}" in namespace "${ns}" has no container on this agent`);
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  // Followed logs hold the response open: flush each chunk and end when the client goes.
  res.flushHeaders();
  const opened = stream;
  const done = () => opened.destroy();
  // the response's close, not the request's: Node closes a request once its body is read
  res.on('close', done);
  // a client that left while the log was opened has had its 'close' already: a followed log would stream forever
  if (res.destroyed) done();
  stream.on('error', (e) => {
    o.log.debug('log stream ended with an error', { task: `${ns}/${name}`, error: errMsg(e) });
    res.end();
  });
  stream.pipe(res);
}

/** Whether the header is `Bearer <secret>`, compared in constant time (over digests: equal lengths). */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(secret)) && m !== null;
}

function fail(res: ServerResponse, status: number, code: string, message: string, field = ''): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, message, details: field ? [{ field, message }] : [] }));
}
