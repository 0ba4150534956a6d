/**
 * One long-lived GET /events stream for this node's containers, kept open:
 *
 *   dockerd ──NDJSON chunks──> LineSplitter ──lines──> parseEvent ──> onEvent
 *      │ end / error (dockerd stopped, socket gone)
 *      └──> wait (backoff 100 ms .. 5 s) ──> connect again ──> onConnect
 *
 * Events that happen while disconnected are lost; onConnect is the signal to
 * re-list (it fires on the first connect too, so "subscribe, then list after
 * onConnect" misses nothing, even when the engine was down at start).
 */
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { errMsg, type Logger } from '../../../log/logger.js';
import type { RuntimeEvent } from '../runtime.js';
import { LABEL_NODE, LABEL_TASK } from './spec.js';
import { jitteredDelay } from '../../../util/backoff.js';

const CONNECT_TIMEOUT_MS = 10_000;
const ACTIONS = new Set<RuntimeEvent['type']>(['start', 'die', 'oom', 'destroy']);

/** Splits a byte stream into lines; keeps a partial last line for the next chunk. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '');
  }
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** One line of Docker's event stream -> a RuntimeEvent, or undefined for what we don't report. */
export function parseEvent(line: string): RuntimeEvent | undefined {
  let e: DockerEvent;
  try {
    e = JSON.parse(line) as DockerEvent;
  } catch {
    return undefined;
  }
  if (e.Type !== 'container' || !e.Actor?.ID) return undefined;
  const type = e.Action as RuntimeEvent['type'];
  if (!ACTIONS.has(type)) return undefined;
  const attrs = e.Actor.Attributes ?? {};
  const ms = e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000;
  const ev: RuntimeEvent = { id: e.Actor.ID, taskUid: attrs[LABEL_TASK] ?? '', type, time: new Date(ms || Date.now()).toISOString() };
  if (type === 'die' && attrs.exitCode !== undefined) ev.exitCode = Number(attrs.exitCode);
  return ev;
}

export interface EventStreamOptions {
  docker: Docker;
  nodeName: string;
  log: Logger;
  onEvent: (e: RuntimeEvent) => void;
  onConnect: () => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class EventStream {
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private stream: Readable | undefined;
  private connected = false;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly o: EventStreamOptions) {}

  start(): void {
    void this.connect();
  }

  /** Resolves once the stream is connected (now, or the next time it is). */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((res) => this.waiters.push(res));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.stream?.destroy();
    for (const w of this.waiters.splice(0)) w();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const abort = new AbortController();
    this.abort = abort;
    // An engine that accepts the connection but never answers (still starting, wedged) must not hold us forever.
    const connectTimer = setTimeout(() => abort.abort(), CONNECT_TIMEOUT_MS);
    let stream: Readable;
    try {
      stream = (await this.o.docker.getEvents({
        filters: { type: ['container'], label: [`${LABEL_NODE}=${this.o.nodeName}`], event: [...ACTIONS] },
        abortSignal: abort.signal,
      } as Docker.GetEventsOptions)) as unknown as Readable;
    } catch (e) {
      this.lost(`connect: ${errMsg(e)}`);
      return;
    } finally {
      clearTimeout(connectTimer);
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    let done = false;
    const split = new LineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const line of split.push(chunk)) {
        const ev = parseEvent(line);
        if (ev) this.o.onEvent(ev);
      }
    });
    const end = (why: string) => {
      if (done) return;
      done = true;
      this.connected = false;
      stream.destroy();
      this.lost(why);
    };
    stream.once('end', () => end('stream ended'));
    stream.once('close', () => end('stream closed'));
    stream.once('error', (e: Error) => end(errMsg(e)));
    if (this.attempt > 0) this.o.log.info('docker event stream reconnected', { attempts: this.attempt });
    this.attempt = 0;
    this.connected = true;
    for (const w of this.waiters.splice(0)) w();
    this.o.onConnect();
  }

  private lost(why: string): void {
    if (this.closed || this.timer) return;
    const delay = jitteredDelay(Math.min(this.attempt, 16), { initialMs: this.o.initialBackoffMs ?? 100, maxMs: this.o.maxBackoffMs ?? 5000 });
    const meta = { why, inMs: delay, attempt: this.attempt + 1 };
    if (this.attempt === 0) this.o.log.warn('docker event stream lost; reconnecting', meta);
    else this.o.log.debug('docker event stream still down; retrying', meta);
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref?.();
  }
}
