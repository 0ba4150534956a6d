/**
 * fast-check arbitraries of HTTP requests as raw bytes, for fuzzing the
 * API server and the agent:
 *
 *   request line   a method (some unknown), a target (real API paths, odd
 *                  escapes, absolute-form, "//[", huge), a version (some bad)
 *   headers        Host or not, Last-Event-ID, Expect, Upgrade, duplicated,
 *                  invalid names and values, one huge
 *   framing        Content-Length exact, short, long, bad, twice; chunked,
 *                  broken chunks, Transfer-Encoding beside Content-Length
 *   body           resources, batches, any JSON, truncated, YAML-looking,
 *                  deeply nested, binary, over 1 MiB
 *   delivery       whole, in pieces, cut off mid-request, hung up at once
 *
 * Nothing generated may be written: every resource in a body carries a
 * POISON (a definite error; the test checks that validation refuses each),
 * a batch carries at least one, and the objects that exist (EXISTING) are
 * only read, PUT with such bodies, or posted to — never DELETEd or restarted.
 */
import fc from 'fast-check';
import type { Delivery } from './raw-http.js';

/** What the fuzz test creates before it starts: `<plural>/<ns>/<name>` paths. */
export const EXISTING = {
  service: '/api/v1/services/default/fz-web',
  node: '/api/v1/nodes/fz-node',
  task: '/api/v1/tasks/default/fz-pending',
};

type Json = Record<string, unknown>;

/** Valid resources of each kind; `name` is new unless it is an EXISTING one. */
export const VALID: Record<string, (name: string) => Json> = {
  Service: (name) => ({
    apiVersion: 'stowage/v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: 'fz' } },
    spec: { instances: 1, image: 'localhost/stowage-busybox:1', command: ['/bin/sh', '-c', 'sleep 1'], resources: { cpus: 0.1, mem: 16 }, ports: [{ name: 'http' }] },
  }),
  Node: (name) => ({ apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: { capacity: { cpus: 1, mem: 64, disk: 0 }, address: '127.0.0.1:1' } }),
  Job: (name) => ({
    apiVersion: 'stowage/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { image: 'localhost/stowage-busybox:1', command: ['true'], schedule: '*/5 * * * *', resources: { cpus: 0.1, mem: 16 } },
  }),
  Task: (name) => ({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: { image: 'localhost/stowage-busybox:1', resources: { cpus: 0.1, mem: 16 } } }),
};

const nested = (depth: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

/** Each makes any resource definitely invalid (checked by the test against validation). */
export const POISONS: Record<string, (o: Json) => void> = {
  'bad name': (o) => ((o.metadata as Json).name = 'Bad_Name!'),
  'empty name': (o) => ((o.metadata as Json).name = ''),
  'apiVersion v2': (o) => (o.apiVersion = 'stowage/v2'),
  'unknown kind': (o) => (o.kind = 'Servicex'),
  'unknown top field': (o) => (o.bogus = { x: 1 }),
  'metadata not an object': (o) => (o.metadata = 'x'),
  'bad label key': (o) => ((o.metadata as Json).labels = { 'bad key!': 'v' }),
  'spec a list': (o) => (o.spec = []),
  'unknown spec field': (o) => (o.spec = { ...((o.spec as Json) ?? {}), bogusField: 1 }),
  'apiVersion nested 70 deep': (o) => (o.apiVersion = nested(70)),
};

/** Fields a mutation may set to any JSON value or remove. */
const FIELDS = [
  'metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.resourceVersion', 'metadata.annotations', 'spec', 'spec.instances', 'spec.image',
  'spec.command', 'spec.env', 'spec.ports', 'spec.resources', 'spec.resources.cpus', 'spec.healthChecks', 'spec.constraints', 'spec.dependencies',
  'spec.upgradeStrategy', 'spec.schedule', 'spec.capacity', 'spec.address', 'spec.attributes', 'status', 'kind',
];

function setPath(o: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur: unknown = o;
  for (const k of keys.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Json)[k];
  }
  if (cur === null || typeof cur !== 'object') return;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete (cur as Json)[last];
  else (cur as Json)[last] = value;
}

const json = fc.jsonValue({ maxDepth: 3 });

const resource = (poisoned: boolean) =>
  fc
    .record({
      kind: fc.constantFrom(...Object.keys(VALID)),
      name: fc.constantFrom('fz-web', 'fz-node', 'fz-pending', 'fz-new', 'fz-new-2'),
      mutations: fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(json, { nil: undefined })), { maxLength: 3 }),
      poison: fc.constantFrom(...Object.keys(POISONS)),
    })
    .map(({ kind, name, mutations, poison }) => {
      const o = VALID[kind]!(name);
      for (const [path, v] of mutations) setPath(o, path, structuredClone(v));
      if (poisoned) POISONS[poison]!(o);
      return o;
    });

/** Unmutated valid resources with new names: only ever sent beside a poisoned one. */
const fresh = fc.tuple(fc.constantFrom(...Object.keys(VALID)), fc.constantFrom('fz-new', 'fz-new-2', 'fz-new-3')).map(([k, n]) => VALID[k]!(n));

/** A batch for /api/v1/apply: at least one poisoned item, anywhere. */
const batch = fc
  .tuple(resource(true), fc.array(fc.oneof(resource(true), fresh), { maxLength: 4 }), fc.nat())
  .map(([bad, rest, at]) => {
    const items = [...rest];
    items.splice(at % (items.length + 1), 0, bad);
    return { items };
  });

const jsonText = fc.oneof(
  { weight: 5, arbitrary: resource(true).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: resource(true).map((o) => JSON.stringify(o, null, 2)) },
  { weight: 4, arbitrary: batch.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify({ revision: v })) },
);

const yamlLooking = resource(true).map(
  (o) => `apiVersion: ${JSON.stringify(o.apiVersion)}\nkind: ${String(o.kind)}\nmetadata:\n  name: ${JSON.stringify((o.metadata as Json | undefined)?.name)}\nspec: {instances: 1}\n---\n`,
);

/** A body as bytes (undefined: none). */
export const body: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 12, arbitrary: jsonText.map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: fc.tuple(jsonText, fc.double({ min: 0, max: 1, noNaN: true })).map(([t, f]) => Buffer.from(t.slice(0, Math.floor(t.length * f)))) },
  { weight: 1, arbitrary: yamlLooking.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([n, close]) => Buffer.from('['.repeat(n) + (close ? ']'.repeat(n) : ''))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constantFrom('\uFEFF{}', '{"a"', '{"a":', 'null', '[]', '""', '1e999', '{"__proto__":{"x":1}}', '  \n ').map((t) => Buffer.from(t)) },
  // over the 1 MiB limit: refused from Content-Length, or while reading a chunked body
  { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 + 1, 3 * 1024 * 1024).map((n) => Buffer.alloc(n, 0x20)) },
);

const FRAMINGS = ['exact', 'exact', 'exact', 'exact', 'short', 'long', 'none', 'bad', 'twice-same', 'twice-different', 'negative', 'huge', 'chunked', 'chunked', 'chunked-broken', 'chunked-unfinished', 'chunked+length', 'te-gzip', 'te-twice'] as const;
export type Framing = (typeof FRAMINGS)[number];

/** Framings after which the server waits for bytes that never come: hang up sooner. */
export const WAITING: ReadonlySet<Framing> = new Set(['long', 'chunked-unfinished', 'huge']);

function chunked(b: Buffer, size: number, finish: boolean, broken: boolean): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) {
    const c = b.subarray(i, i + size);
    parts.push(Buffer.from(`${broken && i === 0 ? 'zz' : c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  if (finish) parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Framing headers and the bytes after the blank line. */
export function frame(b: Buffer | undefined, framing: Framing, chunkSize: number): { headers: string[]; payload: Buffer } {
  const data = b ?? Buffer.alloc(0);
  const n = data.length;
  switch (framing) {
    case 'exact':
      return { headers: b === undefined ? [] : [`Content-Length: ${n}`], payload: data };
    case 'short':
      return { headers: [`Content-Length: ${Math.max(0, n - 1 - (n >> 2))}`], payload: data };
    case 'long':
      return { headers: [`Content-Length: ${n + 1 + (n >> 2)}`], payload: data };
    case 'none':
      return { headers: [], payload: data };
    case 'bad':
      return { headers: [`Content-Length: ${n}x`], payload: data };
    case 'twice-same':
      return { headers: [`Content-Length: ${n}`, `Content-Length: ${n}`], payload: data };
    case 'twice-different':
      return { headers: [`Content-Length: ${n}`, `Content-Length: ${n + 1}`], payload: data };
    case 'negative':
      return { headers: ['Content-Length: -1'], payload: data };
    case 'huge':
      return { headers: ['Content-Length: 99999999999999999999'], payload: data };
    case 'chunked':
      return { headers: ['Transfer-Encoding: chunked'], payload: chunked(data, chunkSize, true, false) };
    case 'chunked-broken':
      return { headers: ['Transfer-Encoding: chunked'], payload: chunked(data.length ? data : Buffer.from('x'), chunkSize, true, true) };
    case 'chunked-unfinished':
      return { headers: ['Transfer-Encoding: chunked'], payload: chunked(data, chunkSize, false, false) };
    case 'chunked+length':
      return { headers: ['Transfer-Encoding: chunked', `Content-Length: ${n}`], payload: chunked(data, chunkSize, true, false) };
    case 'te-gzip':
      return { headers: ['Transfer-Encoding: gzip, chunked'], payload: chunked(data, chunkSize, true, false) };
    case 'te-twice':
      return { headers: ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], payload: chunked(data, chunkSize, true, false) };
  }
}

// ---- targets ----

/** One "character" of a path segment: mostly plain, often something that needs escaping or is a bad escape. */
const segUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%2', '%zz', '%2F', '%00', '%E0%A4%A', '%C0%AF', '%FF', '/', '..', ';', '[', ']', ':', '@', 'é', '\u2028', '%25') },
);
const nxName = fc.string({ unit: segUnit, maxLength: 10 }).map((s) => `nx-${s}`);
const plural = fc.constantFrom('services', 'nodes', 'jobs', 'jobruns', 'tasks', 'events', 'namespaces', 'svc', 'deployments', 'Services', '%zz', '');
const namespace = fc.constantFrom('default', 'nx-ns', '_', '%zz', '', 'a%2Fb');
const sub = fc.constantFrom('', '', '/log', '/rollback', '/restart', '/run', '/x', '/log/extra');

const QUERY = [
  'watch=1', 'watch=true', 'watch=0', 'watch', 'resourceVersion=', 'resourceVersion=0', 'resourceVersion=1', 'resourceVersion=-1', 'resourceVersion=abc',
  'resourceVersion=18446744073709551617', 'resourceVersion=99999999999999999999', 'namespace=default', 'namespace=', 'namespace=%zz', 'namespace=a/b',
  'labelSelector=app%3Dfz', 'labelSelector=a in (b', 'labelSelector=!!', 'labelSelector=%zz', 'follow=1', 'tail=-1', 'tail=1e400', 'tail=abc', 'tail=5', '%zz=%zz', '=', '&&',
];
const query = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY) }, { weight: 1, arbitrary: fc.string({ unit: segUnit, maxLength: 8 }) }), { maxLength: 4 })
  .map((ps) => (ps.length ? `?${ps.join('&')}` : ''));

const WEIRD = [
  '//[', '//x:99999', '//a b', 'http://[::1', 'http://[::1]:99999/api/v1/services', 'http://x/api/v1/services', 'https://x/healthz', 'ftp://x/y', 'http:///',
  'x', '*', '', '/%', '/%zz', '/api/v1/%', '/api/v1/services/%zz', '/api/v1/services/default/%E0%A4%A', '/api/v1//services', '/api/v1/services/../../etc',
  '/api/v1/services#frag', '?x', '/api/v1/services?%', '/\u00e9', '/api/v1/apply/x', '/api/v1', '/api/v1/',
];

/** Targets that name no existing object, whatever the method. */
const anyTarget: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(plural, namespace, nxName, sub, query).map(([k, ns, n, s, q]) => `/api/v1/${k}/${ns}/${n}${s}${q}`) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('services', 'nodes', 'tasks', 'jobs', 'events', 'apply', 'watch', 'servers', 'endpoints', 'nope'), query).map(([k, q]) => `/api/v1/${k}${q}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/healthz', '/readyz', '/metrics', '/version', '/', '/index.html', '/nope', '/api/v1/tasks/default/nx-x/log'), query).map(([p, q]) => p + q) },
  // the agents' and the admins' routes, and Secrets
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('agent/nodes/fz-node/register', 'agent/nodes/nx-node/usage', 'agent/sessions', 'agent/sessions/123/keepalive', 'agent/sessions/%zz', 'agent/assignments', 'agent/statuses', 'agent/events', 'agent/events/default/nx', 'agent/nope', 'admin/snapshot', 'admin/defrag', 'admin/nope', 'secrets', 'secrets/default/nx', 'tasks/default/nx-x/secret-env'),
        query,
      )
      .map(([p, q]) => `/api/v1/${p}${q}`),
  },
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `/api/v1/services/${'a'.repeat(n)}`) },
);

/** Paths of the objects that exist (and their subresources): only for the methods in EXISTING_METHODS. */
const existingTarget = fc
  .tuple(
    fc.constantFrom(EXISTING.service, `${EXISTING.service}/`, `${EXISTING.service}/rollback`, EXISTING.node, `/api/v1/nodes/_/fz-node`, EXISTING.task, `${EXISTING.task}/log`),
    query,
  )
  .map(([p, q]) => p + q);
const EXISTING_METHODS = ['GET', 'GET', 'HEAD', 'PUT', 'PUT', 'PUT', 'POST', 'PATCH', 'OPTIONS'];

/** Absolute-form prefixes of a target, now and then. */
const absolute = fc.oneof(
  { weight: 10, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('http://127.0.0.1', 'http://x:99999', 'https://[::1]', 'http://[::1', 'ftp://x') },
);

const GOOD_METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'PUT', 'DELETE', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'];
const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...GOOD_METHODS) }, { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'PROPFIND', 'get', 'FOO', '') });
/** Where bodies are read: creates, the batch, and the rollback of an object that does not exist. */
const WRITE_PATHS = ['/api/v1/services', '/api/v1/nodes', '/api/v1/jobs', '/api/v1/tasks', '/api/v1/namespaces', '/api/v1/events', '/api/v1/apply', '/api/v1/apply', '/api/v1/services/default/nx-1/rollback'];

// ---- headers ----

const FIXED_HEADERS: [string, string][] = [
  ['Content-Type', 'application/json'], ['Content-Type', 'application/yaml'], ['Content-Type', 'text/plain; charset=utf-16'], ['Content-Type', ''],
  ['Accept', 'text/event-stream'], ['Last-Event-ID', 'x'], ['Last-Event-ID', '-1'], ['Last-Event-ID', ''], ['Last-Event-ID', '18446744073709551617'],
  ['Last-Event-ID', '99999999999999999999999'], ['Last-Event-ID', '1, 2'], ['Last-Event-ID', '1'], ['Connection', 'close'], ['Connection', 'keep-alive'],
  ['Connection', 'upgrade'], ['Upgrade', 'websocket'], ['Upgrade', 'h2c'], ['Expect', '100-continue'], ['Expect', 'fancy'], ['Authorization', 'Bearer x'],
  ['Host', 'other'], ['Transfer-Encoding', 'chunked'], ['Content-Encoding', 'gzip'], ['X-Forwarded-For', '[::1'],
];
/** Headers that leave a request well-formed (the body still reaches the handlers). */
const BENIGN = FIXED_HEADERS.filter(([k, v]) => !['Transfer-Encoding', 'Host'].includes(k) && v !== 'fancy').map(([k, v]) => `${k}: ${v}`);

const header: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...FIXED_HEADERS).map(([k, v]) => `${k}: ${v}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.constantFrom('X-A', 'Bad Header', 'Bad:Colon', '', 'été', 'X-\u0000'), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 })),
        fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 30 }), fc.string({ unit: 'binary-ascii', maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 })),
      )
      .map(([k, v]) => `${k}: ${v}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `X-Big: ${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.constantFrom('NoColon', ' Folded: x', '\tcontinued') },
);

// ---- the request ----

export interface FuzzRequest {
  method: string;
  target: string;
  bytes: Buffer;
  delivery: Delivery;
  /** How long to wait for an answer before hanging up. */
  waitMs: number;
}

const delivery: fc.Arbitrary<Delivery> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'whole' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 5 }).map((parts) => ({ kind: 'pieces' as const, parts })) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((share) => ({ kind: 'cut' as const, share })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'leave' as const }) },
);

const methodAndTarget = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(method, anyTarget) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('POST'), fc.constantFrom(...WRITE_PATHS)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...EXISTING_METHODS), existingTarget) },
);

/** Requests to the API server (bodies for every method; see the header for what keeps them unwritable). */
export const apiRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    // "clean": well-formed HTTP (version, line ends, Host, framing), so the target and body reach the handlers
    clean: fc.constantFrom(true, true, true, true, false),
    mt: methodAndTarget,
    absolute,
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'http/1.1', '', 'HTTP/1.1 x'),
    eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n'),
    host: fc.constantFrom('once', 'once', 'once', 'once', 'none', 'twice', 'empty'),
    headers: fc.array(header, { maxLength: 4 }),
    body,
    framing: fc.constantFrom(...FRAMINGS),
    chunkSize: fc.integer({ min: 1, max: 4096 }),
    delivery,
  })
  .map(({ clean, mt: [method, target], absolute: abs, version, eol, host, headers, body: b, framing, chunkSize, delivery: d }) => {
    if (clean) {
      [version, eol, host, abs] = ['HTTP/1.1', '\r\n', 'once', abs && 'http://127.0.0.1'];
      if (!GOOD_METHODS.includes(method)) method = 'POST';
      headers = headers.filter((h) => BENIGN.includes(h));
      if (framing !== 'chunked') framing = 'exact';
    }
    const t = abs && target.startsWith('/') ? abs + target : target;
    const hosts = host === 'once' ? ['Host: fz'] : host === 'twice' ? ['Host: fz', 'Host: fz2'] : host === 'empty' ? ['Host:'] : [];
    const f = frame(b, framing, chunkSize);
    const head = [[method, t, version].filter((x) => x !== '').join(' '), ...hosts, ...headers, ...f.headers].join(eol) + eol + eol;
    return printable({
      method,
      target: t,
      bytes: Buffer.concat([Buffer.from(head, 'latin1'), f.payload]),
      delivery: d,
      waitMs: WAITING.has(framing) ? 300 : 1500,
    });
  });

/** Requests to the agent's endpoint (GET only is served; anything may come). */
/** Requests to an agent's --listen endpoint; with its log secret, most carry it (so they get past the 401). */
export function agentRequest(task: string, secret?: string): fc.Arbitrary<FuzzRequest> {
  const target = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(`/tasks/default/${task}/log`, '/tasks/default/nx/log', '/tasks/%zz/x/log', '/tasks/default/%E0%A4%A/log', '/tasks/a/b/c/log'), query).map(([p, q]) => p + q) },
    { weight: 1, arbitrary: fc.constantFrom('/healthz', '/metrics', '/', '/tasks') },
    { weight: 2, arbitrary: anyTarget },
  );
  return fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE', 'FOO'),
      target,
      absolute,
      host: fc.constantFrom('once', 'once', 'once', 'none'),
      headers: fc.array(header, { maxLength: 3 }),
      body,
      framing: fc.constantFrom(...FRAMINGS),
      chunkSize: fc.integer({ min: 1, max: 4096 }),
      delivery,
      auth: fc.constantFrom(true, true, true, false),
    })
    .map(({ method, target: tg, absolute: abs, host, headers, body: b, framing, chunkSize, delivery: d, auth }) => {
      const t = abs && tg.startsWith('/') ? abs + tg : tg;
      const f = frame(b, framing, chunkSize);
      const authz = auth && secret ? [`Authorization: Bearer ${secret}`] : [];
      const head = [`${method} ${t} HTTP/1.1`, ...(host === 'once' ? ['Host: fz'] : []), ...authz, ...headers, ...f.headers].join('\r\n') + '\r\n\r\n';
      return printable({ method, target: t, bytes: Buffer.concat([Buffer.from(head, 'latin1'), f.payload]), delivery: d, waitMs: WAITING.has(framing) ? 300 : 1500 });
    });
}

/** fast-check prints a counterexample with show(), not as an array of (maybe millions of) byte values. */
function printable(r: FuzzRequest): FuzzRequest {
  return Object.defineProperty(r, fc.toStringMethod, { value: () => show(r), enumerable: false });
}

/** A request as a JS string literal, for failure messages (bodies cut after 2,000 bytes). */
export function show(r: FuzzRequest): string {
  const b = r.bytes.length > 2000 ? Buffer.concat([r.bytes.subarray(0, 2000), Buffer.from(`...(${r.bytes.length} bytes)`)]) : r.bytes;
  return `${JSON.stringify(b.toString('latin1'))} delivered ${JSON.stringify(r.delivery)}`;
}
