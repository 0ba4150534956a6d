/**
 * A stand-in for the server's endpoints API, for the proxy's tests and
 * benchmark: the contract of `GET /api/v1/endpoints` (a list) and
 * `GET /api/v1/endpoints?watch=1` (SSE: one ADDED per service on connect,
 * then ADDED / MODIFIED / DELETED; no resume), with knobs a real server does
 * not have: write garbage on the streams, drop them, refuse new ones.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { EndpointAddress, Endpoints } from '../../pkg/api/types.js';

export interface FakeEndpointsApi {
  url: string;
  /** Open watch streams. */
  readonly streams: number;
  /** Watch connections accepted so far. */
  readonly connections: number;
  set(e: Endpoints): void;
  delete(namespace: string, name: string): void;
  /** Write raw text on every open stream. */
  raw(text: string | Buffer): void;
  /** Cut every open stream (the proxy reconnects). */
  drop(): void;
  /** Change the state without telling open streams (as if it changed while the proxy was away). */
  setQuietly(e: Endpoints | undefined, namespace: string, name: string): void;
  /** Answer new watch and list requests with 503 while true. */
  refuse: boolean;
  stop(): Promise<void>;
}

export function endpoints(namespace: string, name: string, ports: { name: string; servicePort?: number; addresses: EndpointAddress[] }[]): Endpoints {
  return { apiVersion: 'stowage/v1', kind: 'Endpoints', metadata: { namespace, name }, ports };
}

export const address = (port: number, task = `task-${port}`, node = 'n1'): EndpointAddress => ({ host: '127.0.0.1', port, task, node });

export async function startEndpointsApi(initial: Endpoints[] = []): Promise<FakeEndpointsApi> {
  const state = new Map<string, Endpoints>(initial.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
  const streams = new Set<ServerResponse>();
  let connections = 0;
  const send = (event: string, e: unknown) => {
    const text = `event: ${event}\ndata: ${JSON.stringify(e)}\n\n`;
    for (const s of streams) s.write(text);
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/api/v1/endpoints') return void res.writeHead(404).end('{"code":"NotFound","message":"no route"}');
    if (api.refuse) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"Unavailable","message":"refusing for the test"}');
    if (u.searchParams.get('watch') === '1') {
      connections++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const e of state.values()) res.write(`event: ADDED\ndata: ${JSON.stringify(e)}\n\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'stowage/v1', kind: 'List', metadata: {}, items: [...state.values()] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const api: FakeEndpointsApi = {
    url: `http://127.0.0.1:${port}`,
    get streams() {
      return streams.size;
    },
    get connections() {
      return connections;
    },
    refuse: false,
    set(e) {
      const key = `${e.metadata.namespace}/${e.metadata.name}`;
      const had = state.has(key);
      state.set(key, e);
      send(had ? 'MODIFIED' : 'ADDED', e);
    },
    delete(namespace, name) {
      const key = `${namespace}/${name}`;
      const e = state.get(key);
      if (!e) return;
      state.delete(key);
      send('DELETED', e);
    },
    raw(text) {
      for (const s of streams) s.write(text);
    },
    drop() {
      for (const s of streams) s.destroy();
      streams.clear();
    },
    setQuietly(e, namespace, name) {
      if (e) state.set(`${namespace}/${name}`, e);
      else state.delete(`${namespace}/${name}`);
    },
    stop: () =>
      new Promise<void>((r) => {
        api.drop();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return api;
}
