/**
 * What Node's HTTP parser refuses never reaches a request handler: a bad
 * request line or header name, a Content-Length that is not a number or
 * comes twice, Content-Length beside Transfer-Encoding, a bad chunk, headers
 * over the size limit, a request not complete in time. Node emits
 * 'clientError' with the socket instead; this answers in the API's error
 * shape (when nothing was written on the connection yet) and closes it.
 *
 *   bytes ──► llhttp ──ok──► 'request' ──► handler
 *                └─refused─► 'clientError' ──► 400 | 408 | 413 | 431 + close
 */
import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

interface ParserError extends Error {
  code?: string;
  /** llhttp's words for what was wrong, e.g. "Invalid header token". */
  reason?: string;
}

/** Answer every request the parser refuses on `server`, then close its connection. */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: ParserError, socket: Duplex) => {
    const written = (socket as Partial<Socket>).bytesWritten ?? 0;
    // A reset, or an answer already (partly) on the wire: all that is left is to close.
    if (err.code === 'ECONNRESET' || !socket.writable || written > 0) {
      socket.destroy();
      return;
    }
    const { status, code, message } = describe(err, server);
    const body = JSON.stringify({ code, message, details: [{ field: 'request', rule: err.code ?? 'parse', message }] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    // as Node does by default: the bytes are handed to the kernel by now
    socket.destroy();
  });
}

function describe(err: ParserError, server: Server): { status: number; code: string; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'TooLarge', message: `the request line and headers are over the limit of ${maxHeaderSize} bytes` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'TooLarge', message: 'the chunk extensions of the request body are over the limit' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'BadRequest',
        message: `the request did not arrive in time (headers within ${server.headersTimeout / 1000} s, all of it within ${server.requestTimeout / 1000} s)`,
      };
    default:
      return { status: 400, code: 'BadRequest', message: `malformed HTTP request: ${err.reason ?? err.message}` };
  }
}
