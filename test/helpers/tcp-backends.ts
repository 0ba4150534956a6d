/**
 * Real TCP instances for the proxy's tests: each greets a new connection
 * with `<name>\n`, then echoes what it reads. It records when it accepted
 * each connection, and can be stopped and started again on the same port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Backend {
  name: string;
  port: number;
  /** performance.now() of every connection accepted. */
  accepted: number[];
  readonly open: number;
  /** Stop listening (open connections go on). */
  close(): Promise<void>;
  /** Stop listening and end open connections. */
  stop(): Promise<void>;
}

export async function startBackend(name: string, port = 0): Promise<Backend> {
  const sockets = new Set<Socket>();
  const accepted: number[] = [];
  const server: Server = createServer((s) => {
    accepted.push(performance.now());
    sockets.add(s);
    s.on('error', () => undefined).on('close', () => sockets.delete(s));
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(port, '127.0.0.1', () => r());
  });
  const a = server.address();
  const close = () => new Promise<void>((r) => server.close(() => r()));
  return {
    name,
    port: typeof a === 'object' && a ? a.port : port,
    accepted,
    get open() {
      return sockets.size;
    },
    close: async () => {
      server.close();
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await close();
    },
  };
}

/** A client of a greeting backend: the greeting, and an echo round trip. */
export interface Conn {
  greeting: string;
  socket: Socket;
  /** Send text, resolve with the echo. */
  echo(text: string): Promise<string>;
  close(): void;
}

/** Connect, wait for the greeting (rejects on refusal, reset, or no greeting within ms). */
export function dial(port: number, ms = 5000): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let buf = '';
    const t = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting on ${port} within ${ms} ms`));
    }, ms);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(t);
      socket.off('data', onData);
      const greeting = buf.slice(0, i);
      let rest = buf.slice(i + 1);
      resolve({
        greeting,
        socket,
        echo: (text) =>
          new Promise((res, rej) => {
            const want = rest.length + text.length;
            const on = (x: Buffer) => {
              rest += x.toString();
              if (rest.length >= want) {
                socket.off('data', on);
                const out = rest;
                rest = '';
                res(out);
              }
            };
            socket.on('data', on);
            socket.once('error', rej);
            socket.once('close', () => rej(new Error('closed before the echo came back')));
            socket.write(text);
          }),
        close: () => socket.destroy(),
      });
    };
    socket.on('data', onData);
    socket.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    socket.once('close', () => {
      clearTimeout(t);
      reject(new Error(`closed on ${port} before a greeting`));
    });
  });
}

/** The greeting of one fresh connection. */
export async function whoAnswers(port: number): Promise<string> {
  const c = await dial(port);
  c.close();
  return c.greeting;
}
