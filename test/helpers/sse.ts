/**
 * A Server-Sent Events client for tests: events as they come (comments kept
 * apart), and a client that can stop reading (`pause()`: the socket's
 * buffers fill and the server sees backpressure) and start again.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  /** undefined: no id line; '': an id line that resets Last-Event-ID. */
  id?: string;
  data: string;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buf = '';
  private waiters: (() => void)[] = [];

  constructor(
    readonly res: IncomingMessage,
    private readonly req: ClientRequest,
    opts: { paused?: boolean } = {},
  ) {
    res.setEncoding('utf8');
    // paused before the first 'data' listener, which would otherwise start the flow
    if (opts.paused) res.pause();
    res.on('data', (d: string) => this.push(d));
    const end = () => {
      this.ended = true;
      this.wake();
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  pause(): void {
    this.res.pause();
  }

  resume(): void {
    this.res.resume();
  }

  close(): void {
    this.req.destroy();
  }

  /** Wait until cond() holds, re-checked on every chunk; fails after ms naming `what`. */
  async until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; ${this.events.length} events, ended: ${this.ended}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private push(d: string): void {
    this.buf += d;
    for (let i = this.buf.indexOf('\n\n'); i >= 0; i = this.buf.indexOf('\n\n')) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event: string | undefined;
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line === 'id:' || line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (event) this.events.push({ event, id, data: data.join('\n') });
    }
    this.wake();
  }
}

/** GET a watch; resolves once the headers are in (rejects on a status other than 200). */
export function openSse(base: string, path: string, opts: { headers?: Record<string, string>; paused?: boolean } = {}): Promise<SseStream> {
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false, headers: { accept: 'text/event-stream', ...opts.headers } }, (res) => {
      if (res.statusCode !== 200) {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (t += d));
        res.on('end', () => reject(new Error(`watch ${path}: ${res.statusCode} ${t}`)));
        return;
      }
      resolve(new SseStream(res, req, { paused: opts.paused }));
    });
    req.on('error', reject);
    req.end();
  });
}
