/**
 * Test helpers for stowctl (used by the *.test.ts files here only): an
 * in-memory fake of the Stowage HTTP API on a loopback port, and an Io that
 * captures what a command prints.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import type { Io } from './context.js';
import { run } from './program.js';
import type { Deps } from './context.js';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body?: unknown;
}

type Handler = (req: Recorded, res: ServerResponse) => boolean | Promise<boolean>;

export interface FakeApi {
  url: string;
  requests: Recorded[];
  objects: Map<string, AnyResource>;
  put(obj: AnyResource): void;
  /** Send a watch event to every open stream of that kind. */
  emit(type: string, obj: AnyResource, id?: string): void;
  /** End every open watch stream (the server "drops" them). */
  dropStreams(): void;
  /** Runs before the built-in routes; return true when it answered. */
  handle(h: Handler): void;
  /** Forget objects, requests and handlers (between tests). */
  reset(): void;
  close(): Promise<void>;
}

const keyOf = (plural: string, ns: string, name: string) => `${plural}/${ns}/${name}`;

export function sendJson(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

export async function startFakeApi(): Promise<FakeApi> {
  const objects = new Map<string, AnyResource>();
  const requests: Recorded[] = [];
  const handlers: Handler[] = [];
  const streams = new Set<{ plural: string; res: ServerResponse }>();
  let rev = 100;

  const put = (obj: AnyResource) => {
    const kind = lookupKind(obj.kind)!;
    obj.metadata.resourceVersion = String(++rev);
    objects.set(keyOf(kind.plural, kind.namespaced ? obj.metadata.namespace ?? 'default' : '_', obj.metadata.name), obj);
  };

  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const r: Recorded = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body: text ? JSON.parse(text) : undefined };
    requests.push(r);
    for (const h of handlers) if (await h(r, res)) return;
    route(r, res);
  });

  function route(r: Recorded, res: ServerResponse): void {
    if (r.path === '/version') return void sendJson(res, 200, { version: '9.9.9' });
    if (r.method === 'POST' && r.path === '/api/v1/apply') {
      const items = (r.body as { items: AnyResource[] }).items;
      const results = items.map((o) => {
        const kind = lookupKind(o.kind)!;
        const k = keyOf(kind.plural, o.metadata.namespace ?? '_', o.metadata.name);
        const old = objects.get(k);
        const action = !old ? 'created' : JSON.stringify(old.spec) === JSON.stringify(o.spec) ? 'unchanged' : 'configured';
        if (action !== 'unchanged') put(structuredClone(o));
        return { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, action };
      });
      return void sendJson(res, 200, { results });
    }
    const m = /^\/api\/v1\/([a-z]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(r.path);
    const kind = m ? lookupKind(m[1]!) : undefined;
    if (!m || !kind) return void sendJson(res, 404, { code: 'NotFound', message: `no route ${r.path}`, details: [] });
    const [ns, name] = m[3] !== undefined ? [decodeURIComponent(m[2]!), decodeURIComponent(m[3])] : m[2] !== undefined ? ['_', decodeURIComponent(m[2])] : [undefined, undefined];
    if (name === undefined) {
      if (r.query.get('watch')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': hello\n\n');
        const s = { plural: kind.plural, res };
        streams.add(s);
        res.on('close', () => streams.delete(s));
        return;
      }
      const want = r.query.get('namespace');
      const sel = r.query.get('labelSelector');
      const items = [...objects.entries()]
        .filter(([k]) => k.startsWith(`${kind.plural}/`))
        .map(([, o]) => o)
        .filter((o) => !want || o.metadata.namespace === want)
        .filter((o) => !sel || sel.split(',').every((p) => { const [a, b] = p.split('='); return o.metadata.labels?.[a!] === b; }));
      return void sendJson(res, 200, { apiVersion: 'stowage/v1', kind: 'List', metadata: { resourceVersion: String(rev) }, items });
    }
    const k = keyOf(kind.plural, ns!, name);
    const cur = objects.get(k);
    const notFound = () => sendJson(res, 404, { code: 'NotFound', message: `${kind.singular} "${name}" not found`, details: [] });
    switch (r.method) {
      case 'GET':
        return void (cur ? sendJson(res, 200, cur) : notFound());
      case 'DELETE':
        if (!cur) return void notFound();
        objects.delete(k);
        return void sendJson(res, 200, cur);
      case 'PUT': {
        if (!cur) return void notFound();
        const body = r.body as AnyResource;
        if (body.metadata.resourceVersion && body.metadata.resourceVersion !== cur.metadata.resourceVersion) {
          return void sendJson(res, 409, { code: 'Conflict', message: `resourceVersion ${body.metadata.resourceVersion} is not ${cur.metadata.resourceVersion}`, details: [] });
        }
        const next = { ...structuredClone(body), status: cur.status };
        put(next);
        return void sendJson(res, 200, next);
      }
    }
    sendJson(res, 400, { code: 'BadRequest', message: 'unsupported', details: [] });
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects,
    put,
    emit(type, obj, id) {
      const plural = lookupKind(obj.kind)!.plural;
      for (const s of streams) if (s.plural === plural) s.res.write(`event: ${type}\nid: ${id ?? String(++rev)}\ndata: ${JSON.stringify(obj)}\n\n`);
    },
    dropStreams() {
      for (const s of streams) s.res.destroy();
      streams.clear();
    },
    handle(h) {
      handlers.push(h);
    },
    reset() {
      objects.clear();
      requests.length = 0;
      handlers.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of streams) s.res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Captured {
  io: Io;
  out(): string;
  err(): string;
}

export function captureIo(stdin?: string, env: Record<string, string> = {}): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s) },
      stdin: stdin === undefined ? undefined : (async function* () { yield stdin; })(),
      env,
    },
    out: () => out,
    err: () => err,
  };
}

/** Run stowctl in-process; returns exit code and what it printed. */
export async function stowctl(
  args: string[], deps: Deps = {}, stdin?: string, env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo(stdin, env);
  const code = await run(args, c.io, { pollMs: 5, ...deps });
  return { code, out: c.out(), err: c.err() };
}

export function svc(name: string, extra: Partial<AnyResource> = {}, ns = 'default'): AnyResource {
  return {
    apiVersion: 'stowage/v1',
    kind: 'Service',
    metadata: { name, namespace: ns, creationTimestamp: '2026-01-01T00:00:00Z', generation: 1 },
    spec: { instances: 3, image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 32, disk: 0 } },
    ...extra,
  };
}
