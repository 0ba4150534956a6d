/** Writing answers: JSON bodies and errors in the API's one error shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, TooManyRequestsError } from '../api/errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): number {
  const err = e instanceof ApiError ? e : new ApiError('Internal', e instanceof Error ? e.message : String(e));
  // The client left (or was answered): nothing can be written any more.
  if (res.destroyed || res.writableEnded) return err.status;
  if (res.headersSent) {
    res.destroy();
    return err.status;
  }
  // The rest of an oversized body is never read: a keep-alive client that
  // sent its next request on this connection would wait forever.
  if (err.code === 'TooLarge') res.setHeader('connection', 'close');
  if (err.code === 'Unauthorized') res.setHeader('www-authenticate', 'Bearer realm="stowage"');
  if (err instanceof TooManyRequestsError) res.setHeader('retry-after', String(err.retryAfterSeconds));
  sendJson(res, err.status, err.toJSON());
  return err.status;
}

/** The largest body the API accepts (objects are stored in one etcd key). */
export const MAX_BODY = 1024 * 1024;
/** The deepest nesting of arrays and objects a body may have (a resource needs about 8). */
export const MAX_DEPTH = 64;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > MAX_BODY) throw tooLarge(n);
      chunks.push(c);
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    // 'aborted': the connection closed before the body was complete
    throw new ApiError('BadRequest', `the request body was cut off after ${n} bytes${declared ? ` of ${declared}` : ''}: the connection closed`);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError('BadRequest', 'request body is empty; expected a JSON object');
  // Deep nesting parses, but then overflows the stack of whatever walks it (validation, JSON.stringify).
  if (nestedDeeperThan(text, MAX_DEPTH)) throw new ApiError('BadRequest', `request body nests arrays and objects deeper than ${MAX_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('BadRequest', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Whether brackets outside strings nest deeper than max: a linear scan of the text. */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const tooLarge = (n: number) =>
  new ApiError('TooLarge', `request body is ${n > MAX_BODY * 10 ? 'far ' : ''}over the limit of ${MAX_BODY} bytes (1 MiB): an object must fit in one etcd key`);
