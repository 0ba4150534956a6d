/**
 * Every service's Endpoints, kept current from the server:
 *
 *   GET /api/v1/endpoints?watch=1 (SSE) ──ADDED/MODIFIED/DELETED──► state ──► onChange(state)
 *        │ once its headers are in
 *        └─► GET /api/v1/endpoints (list) ──► drop what neither the list nor
 *                                              this stream knows; synced
 *
 * The stream has no resume: each connection starts with one ADDED per
 * service, then changes. The list after connecting tells which services the
 * proxy knew from an earlier connection are gone (deleted while it was
 * away), without closing listeners that are still wanted. A service seen on
 * this stream is the stream's to keep or delete; the list only adds what
 * the stream has not said yet and removes what neither knows.
 *
 * A lost or idle stream (no byte, not even `: ping`, within idleMs) is
 * opened again after a jittered backoff (pkg/util/backoff.ts). Anything
 * malformed — a bad JSON line, an object that is not Endpoints, an endless
 * event — is logged, counted and skipped (or the connection is opened
 * again); it never ends the process, and the state keeps what it had.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Endpoints } from '../api/types.js';
import { SseParser, type SseEvent } from '../cli/sse.js';
import { errMsg, type Logger } from '../log/logger.js';
import { proxyEndpointsSynced, proxyWatchBadEvents, proxyWatchReconnects } from '../metrics/proxy.js';
import { Backoff } from '../util/backoff.js';
import { bearer, readTokenFile } from '../http/bearer.js';
import { endpointsKey, parseDeleted, parseEndpoints, parseJson } from './endpoints.js';

export interface EndpointsWatchOptions {
  /** The API server's base URL, e.g. http://127.0.0.1:7070. */
  server: URL;
  /** The CA to verify an https:// server against. */
  ca?: Buffer;
  /** A file holding the API token, read on every connection. */
  tokenFile?: string;
  log: Logger;
  /** Called (at most once per event-loop turn) after the state changed. */
  onChange: (state: ReadonlyMap<string, Endpoints>) => void;
  /** Reconnect when nothing arrives for this long (the server pings every 15 s). */
  idleMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** The most bytes one event or the list may take. */
  maxEventBytes?: number;
}

/** A connection that lived this long was healthy: the next reconnect starts the backoff over. */
const HEALTHY_MS = 5000;

export class EndpointsWatch {
  private readonly state = new Map<string, Endpoints>();
  private stopped = false;
  private req: ClientRequest | undefined;
  private wake: (() => void) | undefined;
  private emitScheduled = false;
  private running: Promise<void> | undefined;
  private lastBadLog = 0;
  private suppressed = 0;
  /** True once a list has been loaded (and stays so: a lost stream keeps serving what it knew). */
  synced = false;

  constructor(private readonly o: EndpointsWatchOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.req?.destroy();
    this.wake?.();
    await this.running;
  }

  /** What is known now. */
  get endpoints(): ReadonlyMap<string, Endpoints> {
    return this.state;
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(this.o.backoff ?? { initialMs: 200, maxMs: 5000 });
    while (!this.stopped) {
      const began = Date.now();
      let reason = 'the stream ended';
      try {
        await this.connectOnce();
      } catch (e) {
        reason = errMsg(e);
      }
      if (this.stopped) break;
      if (Date.now() - began > HEALTHY_MS) backoff.reset();
      const ms = backoff.next();
      proxyWatchReconnects.inc();
      this.o.log.warn('endpoints watch lost; connecting again', { reason, retryInMs: Math.round(ms), attempt: backoff.attempts, server: this.o.server.origin });
      await new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  /** One connection: resolves or rejects when it is over. */
  private connectOnce(): Promise<void> {
    const idleMs = this.o.idleMs ?? 45_000;
    const maxBytes = this.o.maxEventBytes ?? 16 << 20;
    return new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      let live = true;
      const req = this.get('/api/v1/endpoints?watch=1', { accept: 'text/event-stream' });
      this.req = req;
      const fail = (e: Error) => {
        live = false;
        clearTimeout(idle);
        req.destroy();
        reject(e);
      };
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => fail(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
      };
      arm();
      req.on('error', fail);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          readBody(res, 64 << 10).then(
            (b) => fail(new Error(`watch answered HTTP ${res.statusCode}: ${describeError(b)}`)),
            (e: Error) => fail(e),
          );
          return;
        }
        const seen = new Set<string>();
        const parser = new SseParser();
        let pending = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          arm();
          pending += chunk.length;
          const events = parser.push(chunk);
          if (events.length > 0) pending = 0;
          if (pending > maxBytes) return fail(new Error(`an event on the watch is over ${maxBytes} bytes; dropping the stream`));
          for (const ev of events) {
            try {
              this.onEvent(ev, seen);
            } catch (e) {
              return fail(e instanceof Error ? e : new Error(String(e)));
            }
          }
        });
        res.on('error', fail);
        res.on('end', () => fail(new Error('the server ended the stream')));
        res.on('close', () => fail(new Error('the stream closed')));
        this.list(maxBytes).then(
          (items) => {
            if (live && !this.stopped) this.reconcile(items, seen);
          },
          (e: Error) => fail(new Error(`listing endpoints: ${e.message}`)),
        );
      });
      req.end();
    }).finally(() => {
      this.req = undefined;
    });
  }

  private onEvent(ev: SseEvent, seen: Set<string>): void {
    if (ev.event === 'ERROR') throw new Error(`the server sent an error on the watch: ${ev.data.slice(0, 200)}`);
    if (ev.event !== 'ADDED' && ev.event !== 'MODIFIED' && ev.event !== 'DELETED') return;
    const j = parseJson(ev.data);
    if (!j.ok) return this.bad(ev.event, j.error, ev.data);
    if (ev.event === 'DELETED') {
      const d = parseDeleted(j.value);
      if (!d.ok) return this.bad(ev.event, d.error, ev.data);
      const key = endpointsKey({ metadata: d.value });
      seen.add(key);
      if (this.state.delete(key)) this.changed();
      return;
    }
    const p = parseEndpoints(j.value);
    if (!p.ok) return this.bad(ev.event, p.error, ev.data);
    const key = endpointsKey(p.value);
    seen.add(key);
    this.state.set(key, p.value);
    this.changed();
  }

  /** The list after (re)connecting: add what the stream has not said yet, drop what neither knows. */
  private reconcile(items: Endpoints[], seen: Set<string>): void {
    const listed = new Set<string>();
    for (const e of items) {
      const key = endpointsKey(e);
      listed.add(key);
      if (!seen.has(key)) this.state.set(key, e);
    }
    for (const key of [...this.state.keys()]) if (!listed.has(key) && !seen.has(key)) this.state.delete(key);
    if (!this.synced) this.o.log.info('endpoints loaded', { services: this.state.size });
    this.synced = true;
    proxyEndpointsSynced.set(1);
    this.changed();
  }

  private async list(maxBytes: number): Promise<Endpoints[]> {
    const req = this.get('/api/v1/endpoints', { accept: 'application/json' });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('error', reject).on('response', resolve);
      req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
      req.end();
    });
    const body = await readBody(res, maxBytes);
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${describeError(body)}`);
    const j = parseJson(body);
    if (!j.ok) throw new Error(j.error);
    const items = (j.value as { items?: unknown } | null)?.items;
    if (!Array.isArray(items)) throw new Error('the answer has no "items" array');
    const out: Endpoints[] = [];
    for (const [i, item] of items.entries()) {
      const p = parseEndpoints(item);
      if (p.ok) out.push(p.value);
      else this.bad('list', `items[${i}].${p.error}`, JSON.stringify(item) ?? '');
    }
    return out;
  }

  private get(path: string, headers: Record<string, string>): ClientRequest {
    const base = this.o.server;
    const url = new URL(base.href.replace(/\/+$/, '') + path);
    // a token file that went missing fails this connection (retried with backoff), named in the log
    const auth = this.o.tokenFile ? { authorization: bearer(readTokenFile('--token-file', this.o.tokenFile)) } : {};
    const h = { ...headers, ...auth };
    return url.protocol === 'https:'
      ? httpsRequest(url, { method: 'GET', headers: h, agent: false, ...(this.o.ca ? { ca: this.o.ca } : {}) })
      : httpRequest(url, { method: 'GET', headers: h, agent: false });
  }

  private changed(): void {
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    // one call for every event of a chunk (a reconnect's burst of ADDED)
    setImmediate(() => {
      this.emitScheduled = false;
      if (this.stopped) return;
      this.o.onChange(this.state);
    });
  }

  /** Count every bad event; log at most one a second (a flood of garbage must not flood the log). */
  private bad(event: string, error: string, data: string): void {
    proxyWatchBadEvents.inc();
    const now = Date.now();
    if (now - this.lastBadLog < 1000) {
      this.suppressed++;
      return;
    }
    this.o.log.warn('ignoring a malformed endpoints event', { event, error, data: data.slice(0, 200), suppressedSinceLast: this.suppressed });
    this.lastBadLog = now;
    this.suppressed = 0;
  }
}

function readBody(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => {
      size += b.length;
      if (size > max) {
        res.destroy(new Error(`the answer is over ${max} bytes`));
        return;
      }
      parts.push(b);
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => reject(new Error('the connection closed before the answer ended')));
  });
}

/** The API's `{message}` or the start of whatever else came. */
function describeError(body: string): string {
  const j = parseJson(body);
  const m = j.ok ? (j.value as { message?: unknown } | null)?.message : undefined;
  return typeof m === 'string' ? m : body.slice(0, 200) || '(no body)';
}
