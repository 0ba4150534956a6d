/**
 * An HTTP server, or an HTTPS one when given a certificate and key
 * (`--tls-cert/--tls-key`): the same handler and events either way. Node's
 * own Host check is off: the handlers answer it in the API's error shape.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { KeyPair } from '../tls/files.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpServer(tls: KeyPair | undefined, handler: Handler): Server {
  if (!tls) return createHttp({ requireHostHeader: false }, handler);
  // an https.Server is an http.Server on TLS sockets (the same request events and methods)
  return createHttps({ requireHostHeader: false, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler) as unknown as Server;
}
