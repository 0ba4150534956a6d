/**
 * The DNS server of `stowage server --dns-listen HOST:PORT`: UDP and TCP on
 * one port, each message answered by `respond()` (answer.ts) from the
 * endpoints source it is given.
 *
 *   UDP datagram ──────────────► respond() ──► datagram back
 *   TCP: 2-byte length + message ──► respond() ──► 2-byte length + answer
 *
 * Garbage never reaches the process: a message that does not decode gets
 * FORMERR (or nothing, below a header's 12 bytes), a TCP stream that
 * stalls is closed after idleMs, every socket has an error handler.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { errMsg, type Logger } from '../log/logger.js';
import { DNS_DEFAULTS, respond, type AnswerOptions, type EndpointsSource } from './answer.js';

export interface DnsServerOptions extends Partial<AnswerOptions> {
  host: string;
  port: number;
  source: EndpointsSource;
  log: Logger;
  /** A TCP connection with nothing to say for this long is closed (ms). */
  idleMs?: number;
  /** Told about each message answered (for metrics). */
  onAnswer?: (transport: 'udp' | 'tcp', answer: Buffer | undefined) => void;
}

export interface DnsServer {
  /** The bound port (when port 0 was asked). */
  port: number;
  address: string;
  close(): Promise<void>;
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const opts = { zone: o.zone ?? DNS_DEFAULTS.zone, ttl: o.ttl ?? DNS_DEFAULTS.ttl };
  const log = o.log.child({ part: 'dns' });
  const answer = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    const out = respond(msg, o.source, { ...opts, transport });
    o.onAnswer?.(transport, out);
    return out;
  };

  const udp: UdpSocket = createSocket({ type: isIPv6(o.host) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(o.port, o.host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  udp.on('error', (e) => log.warn('dns udp socket error', { error: errMsg(e) }));
  udp.on('message', (msg, rinfo) => {
    const out = answer(msg, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address, (e) => e && log.debug('dns udp send failed', { error: errMsg(e) }));
  });
  const port = udp.address().port;

  const sockets = new Set<Socket>();
  const tcp: Server = createServer((s) => {
    sockets.add(s);
    s.setTimeout(o.idleMs ?? 10_000, () => s.destroy());
    s.on('error', () => undefined).on('close', () => sockets.delete(s));
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = answer(msg, 'tcp');
        if (!out) continue;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        s.write(Buffer.concat([head, out]));
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, o.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    udp.close();
    throw e;
  }
  tcp.on('error', (e) => log.warn('dns tcp server error', { error: errMsg(e) }));
  const address = `${isIPv6(o.host) ? `[${o.host}]` : o.host}:${port}`;
  log.info('dns serving', { address, zone: `${opts.zone}.`, ttl: opts.ttl });
  return {
    port,
    address,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
