/**
 * What Node's HTTP server answers by itself, before any request handler,
 * answered here in the API's error shape instead:
 *
 *   bytes ──► llhttp ──ok──► Expect other than 100-continue? ──no──► 'request' ──► handler
 *                │                        └─yes─► 'checkExpectation' ──► 417
 *                └─refused─► 'clientError' ──► 400 | 408 | 413 | 431, then close
 *
 * The parser refuses a bad request line or header name, a Content-Length
 * that is not a number or comes twice, Content-Length beside
 * Transfer-Encoding, a bad chunk, headers over the size limit, a request not
 * complete in time. A refused connection is answered only when nothing was
 * written on it yet (else the answer would land inside another), and closed.
 */
import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

interface ParserError extends Error {
  code?: string;
  /** llhttp's words for what was wrong, e.g. "Invalid header token". */
  reason?: string;
}

/** Answer on `server` what the parser refuses (then close the connection) and unknown expectations. */
export function answerRefusedRequests(server: Server): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const message = `Expect: ${req.headers.expect ?? ''} is not supported; only 100-continue is`;
    const body = JSON.stringify({ code: 'BadRequest', message, details: [{ field: 'expect', rule: 'expectation', message }] });
    res.writeHead(417, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
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
