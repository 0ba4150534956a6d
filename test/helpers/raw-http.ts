/**
 * Raw bytes over a TCP socket, for tests of what an HTTP server does with
 * requests no HTTP client would send: write the bytes (whole, in pieces, or
 * only a prefix before hanging up), read until the first answer is complete
 * (or its first streamed chunk arrived, or the server closed, or time ran
 * out), and report every status line seen.
 */
import { connect } from 'node:net';

export type Delivery =
  /** write everything, read the answer */
  | { kind: 'whole' }
  /** write everything in `parts` pieces, a few milliseconds apart */
  | { kind: 'pieces'; parts: number }
  /** write the first `share` (0..1) of the bytes, then hang up */
  | { kind: 'cut'; share: number }
  /** write everything and hang up at once, without reading */
  | { kind: 'leave' };

export interface RawAnswer {
  /** The status of every response head seen on the connection, in order. */
  statuses: number[];
  /** The first response's head (status line and headers), lower-cased names. */
  head?: { status: number; headers: Record<string, string> };
  /** Its body when it arrived in full (content-length), undefined otherwise. */
  body?: string;
  /** Everything received, as latin1. */
  text: string;
  closedByServer: boolean;
}

const STATUS_LINE = /(?:^|\r\n)HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/g;

export interface RawOptions {
  /** Give up reading after this long (default 1500 ms). */
  waitMs?: number;
  /** The request was a HEAD: the answer has no body, whatever its content-length says. */
  head?: boolean;
}

export function sendRaw(port: number, bytes: Buffer, delivery: Delivery, opts: RawOptions = {}): Promise<RawAnswer> {
  const waitMs = opts.waitMs ?? 1500;
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parse(Buffer.concat(chunks).toString('latin1'), closedByServer));
    };
    const timer = setTimeout(finish, waitMs);
    sock.on('error', () => undefined);
    sock.on('close', () => {
      closedByServer = !done;
      finish();
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      if (firstAnswerComplete(Buffer.concat(chunks).toString('latin1'), opts.head ?? false)) finish();
    });
    sock.on('connect', () => {
      void (async () => {
        if (delivery.kind === 'cut') {
          sock.write(bytes.subarray(0, Math.floor(bytes.length * delivery.share)));
          // let the bytes leave before the hang-up
          await new Promise((r) => setTimeout(r, 5));
          finish();
          return;
        }
        if (delivery.kind === 'pieces') {
          const size = Math.max(1, Math.ceil(bytes.length / delivery.parts));
          for (let i = 0; i < bytes.length && !done; i += size) {
            sock.write(bytes.subarray(i, i + size));
            await new Promise((r) => setTimeout(r, 3));
          }
          return;
        }
        sock.write(bytes);
        if (delivery.kind === 'leave') finish();
      })();
    });
  });
}

/** Done reading: the head is in, and the body too (content-length), or a first chunk of a stream. */
function firstAnswerComplete(all: string, head: boolean): boolean {
  const text = withoutContinue(all);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  if (head) return true;
  const cl = headerMap(text.slice(0, end))['content-length'];
  if (cl !== undefined) return Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(cl);
  return text.length > end + 4;
}

function parse(text: string, closedByServer: boolean): RawAnswer {
  const statuses = [...text.matchAll(STATUS_LINE)].map((m) => Number(m[1]));
  const first = withoutContinue(text);
  const end = first.indexOf('\r\n\r\n');
  if (!first.startsWith('HTTP/') || end < 0) return { statuses, text, closedByServer };
  const head = { status: Number(first.slice(9, 12)), headers: headerMap(first.slice(0, end)) };
  const cl = head.headers['content-length'];
  const rest = Buffer.from(first.slice(end + 4), 'latin1');
  const body = cl !== undefined && rest.length >= Number(cl) ? rest.subarray(0, Number(cl)).toString('utf8') : undefined;
  return { statuses, head, body, text, closedByServer };
}

/** A "100 Continue" (answer to Expect: 100-continue) comes before the real answer. */
const withoutContinue = (text: string) => text.replace(/^HTTP\/1\.1 100 [^\r\n]*\r\n\r\n/, '');

function headerMap(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}
