/** Writing answers: JSON bodies and errors in the API's one error shape. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): number {
  const err = e instanceof ApiError ? e : new ApiError('Internal', e instanceof Error ? e.message : String(e));
  if (res.headersSent) {
    res.destroy();
    return err.status;
  }
  // The rest of an oversized body is never read: a keep-alive client that
  // sent its next request on this connection would wait forever.
  if (err.code === 'TooLarge') res.setHeader('connection', 'close');
  sendJson(res, err.status, err.toJSON());
  return err.status;
}

/** The largest body the API accepts (objects are stored in one etcd key). */
export const MAX_BODY = 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY) throw tooLarge(n);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError('BadRequest', 'request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError('BadRequest', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

const tooLarge = (n: number) =>
  new ApiError('TooLarge', `request body is ${n > MAX_BODY * 10 ? 'far ' : ''}over the limit of ${MAX_BODY} bytes (1 MiB): an object must fit in one etcd key`);
