/**
 * One service port: listens on 127.0.0.1:<servicePort> and forwards each
 * client connection, byte for byte, to one ready instance.
 *
 *   client ──accept (paused)──► choose an instance ──connect──► splice both ways
 *                                      ▲                 │
 *                                      └── refused / ────┘  (not that one again;
 *                                          timed out         none left: close the client)
 *
 * - The client is not read until an instance answered, so a retry loses nothing.
 * - `update()` changes where new connections go; open ones are never touched:
 *   an instance taken out of endpoints drains as its clients finish.
 * - `close()` stops listening; open connections go on until they end.
 * - A port that cannot be bound (taken, no permission) is logged and tried
 *   again with jittered backoff, for as long as the listener is wanted.
 * - Nothing a client or an instance does (resets, half-closes, garbage)
 *   reaches the process: every socket has its error handler.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { EndpointAddress } from '../api/types.js';
import { errMsg, type Logger } from '../log/logger.js';
import {
  holdPortSeries,
  onProxyScrape,
  proxyActiveConnections,
  proxyConnections,
  proxyErrors,
  proxyListeners,
  proxyReceivedBytes,
  proxySentBytes,
  releasePortSeries,
  type PortLabels,
  type ProxyErrorReason,
} from '../metrics/proxy.js';
import { Backoff } from '../util/backoff.js';
import { choose, type Candidate, type Strategy } from './balance.js';
import { addressKey, type PortTarget } from './plan.js';

export interface ListenerOptions {
  strategy: Strategy;
  log: Logger;
  /** Address to listen on (127.0.0.1 in production). */
  host?: string;
  /** An instance that has not accepted within this is given up for the next (ms). */
  connectTimeoutMs?: number;
  /** An instance that failed a connect is tried last for this long (ms). */
  penaltyMs?: number;
  /** Backoff between attempts to bind a taken port. */
  bindRetry?: { initialMs: number; maxMs: number };
}

interface Forwarded {
  client: Socket;
  upstream: Socket;
  read: number;
  written: number;
}

const REFUSED = new Set(['ECONNREFUSED']);

export class ServicePortListener {
  readonly servicePort: number;
  readonly owner: string;
  private addresses: readonly EndpointAddress[];
  private readonly labels: PortLabels;
  private readonly log: Logger;
  private readonly o: Required<Omit<ListenerOptions, 'log'>>;
  private server: Server | undefined;
  private state: 'waiting' | 'listening' | 'closed' = 'waiting';
  private retry: NodeJS.Timeout | undefined;
  private readonly bindBackoff: Backoff;
  private cursor = 0;
  /** Open (or connecting) connections per instance `host:port`. */
  private readonly active = new Map<string, number>();
  /** When an instance last failed a connect (ms, performance.now()). */
  private readonly failedAt = new Map<string, number>();
  private readonly forwarded = new Set<Forwarded>();
  private open = 0;
  private readonly stopFlush: () => void;
  private readonly m;

  constructor(target: PortTarget, opts: ListenerOptions) {
    this.servicePort = target.servicePort;
    this.owner = target.owner;
    this.addresses = target.addresses;
    this.labels = { namespace: target.namespace, service: target.service, port: target.port };
    this.log = opts.log.child({ service: `${target.namespace}/${target.service}`, port: target.port, servicePort: target.servicePort });
    this.o = {
      strategy: opts.strategy,
      host: opts.host ?? '127.0.0.1',
      connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
      penaltyMs: opts.penaltyMs ?? 2000,
      bindRetry: opts.bindRetry ?? { initialMs: 500, maxMs: 10_000 },
    };
    this.bindBackoff = new Backoff(this.o.bindRetry);
    holdPortSeries(this.labels);
    this.m = {
      connections: proxyConnections.labels(this.labels),
      active: proxyActiveConnections.labels(this.labels),
      received: proxyReceivedBytes.labels(this.labels),
      sent: proxySentBytes.labels(this.labels),
    };
    this.stopFlush = onProxyScrape(() => this.flushBytes());
    proxyListeners.inc({ state: 'waiting' });
    this.bind();
  }

  /** The instances new connections go to from now on. */
  update(addresses: readonly EndpointAddress[]): void {
    this.addresses = addresses;
    const keep = new Set(addresses.map(addressKey));
    for (const k of this.failedAt.keys()) if (!keep.has(k)) this.failedAt.delete(k);
  }

  get listening(): boolean {
    return this.state === 'listening';
  }

  /** Connections open now (connecting or forwarding). */
  get connections(): number {
    return this.open;
  }

  /** Stop listening; open connections go on until they end. */
  close(): void {
    if (this.state === 'closed') return;
    proxyListeners.dec({ state: this.state });
    this.state = 'closed';
    clearTimeout(this.retry);
    this.server?.close();
    this.server = undefined;
    this.log.info('service port closed', { openConnections: this.open });
    this.retireWhenIdle();
  }

  /** End every open connection too (the process is stopping). */
  destroy(): void {
    this.close();
    for (const f of this.forwarded) {
      f.client.destroy();
      f.upstream.destroy();
    }
  }

  private bind(): void {
    if (this.state === 'closed') return;
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (c) => this.accept(c));
    server.once('error', (e: NodeJS.ErrnoException) => {
      server.close();
      if (this.state === 'closed') return;
      if (this.state === 'listening') {
        // a listening server failing later: count it and bind again
        proxyListeners.dec({ state: 'listening' });
        proxyListeners.inc({ state: 'waiting' });
        this.state = 'waiting';
      }
      this.server = undefined;
      const ms = this.bindBackoff.next();
      this.error('bind');
      this.log.warn('cannot listen on the service port; trying again', { error: errMsg(e), code: e.code, retryInMs: Math.round(ms), attempt: this.bindBackoff.attempts });
      this.retry = setTimeout(() => this.bind(), ms);
    });
    server.listen({ host: this.o.host, port: this.servicePort }, () => {
      if (this.state === 'closed') {
        server.close();
        return;
      }
      proxyListeners.dec({ state: 'waiting' });
      proxyListeners.inc({ state: 'listening' });
      this.state = 'listening';
      this.bindBackoff.reset();
      this.log.info('listening on the service port', { address: `${this.o.host}:${this.servicePort}`, instances: this.addresses.length });
    });
    this.server = server;
  }

  private accept(client: Socket): void {
    this.m.connections.inc();
    this.m.active.inc();
    this.open++;
    client.setNoDelay(true);
    let clientGone = false;
    let upstream: Socket | undefined;
    const tried = new Set<string>();
    // until an instance answers, a client that leaves ends the attempt
    const onEarlyClose = () => {
      clientGone = true;
      // with an error, so the attempt's error handler does the accounting
      upstream?.destroy(new Error('the client left'));
    };
    client.on('error', onEarlyClose);
    client.once('close', onEarlyClose);

    const attempt = (): void => {
      if (clientGone) return this.finish();
      const now = performance.now();
      const candidates: Candidate[] = this.addresses.map((a) => {
        const key = addressKey(a);
        const failed = this.failedAt.get(key);
        return { key, active: this.active.get(key) ?? 0, penalized: failed !== undefined && now - failed < this.o.penaltyMs };
      });
      const c = choose(this.o.strategy, candidates, this.cursor, tried);
      if (!c) {
        this.error(tried.size === 0 ? 'no_endpoints' : 'exhausted');
        this.log.debug('no instance took the connection; closing it', { tried: [...tried] });
        client.off('close', onEarlyClose);
        client.destroy();
        return this.finish();
      }
      this.cursor = c.cursor;
      const addr = this.addresses[c.index]!;
      const key = candidates[c.index]!.key;
      tried.add(key);
      this.bump(key, 1);
      const up = connect({ host: addr.host, port: addr.port, allowHalfOpen: true, noDelay: true });
      upstream = up;
      const timer = setTimeout(() => up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), this.o.connectTimeoutMs);
      const onConnectError = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        this.bump(key, -1);
        upstream = undefined;
        if (clientGone) return this.finish();
        this.failedAt.set(key, performance.now());
        this.error(REFUSED.has(e.code ?? '') ? 'refused' : 'connect_failed');
        this.log.debug('instance did not take the connection; trying another', { instance: key, task: addr.task, error: errMsg(e) });
        attempt();
      };
      up.once('error', onConnectError);
      up.once('connect', () => {
        clearTimeout(timer);
        up.off('error', onConnectError);
        client.off('close', onEarlyClose);
        client.off('error', onEarlyClose);
        this.failedAt.delete(key);
        this.splice(client, up, key);
      });
    };
    attempt();
  }

  /** Forward both ways until both sides are done; an error on either ends both. */
  private splice(client: Socket, up: Socket, key: string): void {
    const f: Forwarded = { client, upstream: up, read: 0, written: 0 };
    this.forwarded.add(f);
    let closed = 0;
    let failed = false;
    const onError = () => {
      if (!failed) this.error('reset');
      failed = true;
      client.destroy();
      up.destroy();
    };
    const onClose = () => {
      if (++closed < 2) return;
      this.forwarded.delete(f);
      this.flush(f);
      this.bump(key, -1);
      this.finish();
    };
    client.on('error', onError).once('close', onClose);
    up.on('error', onError).once('close', onClose);
    // pipe() ends the other side's write half when one side ends (a half-close goes through)
    client.pipe(up);
    up.pipe(client);
  }

  private bump(key: string, by: number): void {
    const n = (this.active.get(key) ?? 0) + by;
    if (n > 0) this.active.set(key, n);
    else this.active.delete(key);
  }

  private finish(): void {
    this.open--;
    this.m.active.dec();
    this.retireWhenIdle();
  }

  private error(reason: ProxyErrorReason): void {
    proxyErrors.inc({ ...this.labels, reason });
  }

  private flush(f: Forwarded): void {
    const read = f.client.bytesRead;
    const written = f.client.bytesWritten;
    if (read > f.read) this.m.received.inc(read - f.read);
    if (written > f.written) this.m.sent.inc(written - f.written);
    f.read = read;
    f.written = written;
  }

  private flushBytes(): void {
    for (const f of this.forwarded) this.flush(f);
  }

  private retired = false;
  private retireWhenIdle(): void {
    if (this.state !== 'closed' || this.open > 0 || this.retired) return;
    this.retired = true;
    this.stopFlush();
    releasePortSeries(this.labels);
  }
}
