/**
 * The HTTP API (docs/api.md):
 *
 *   /api/v1/<kind>                       GET list | watch (SSE), POST create
 *   /api/v1/<kind>/<ns>/<name>           GET, PUT, DELETE
 *   /api/v1/<kind>/<name>                the same, for cluster-scoped kinds
 *   /api/v1/<kind>/<ns>/<name>/<sub>     subresources: tasks log (logs.ts), services
 *                                        rollback and restart (services-subresources.ts),
 *                                        jobs run, suspend, resume and backfill, jobruns
 *                                        mark-success (jobs-subresources.ts)
 *   /api/v1/services/<ns>/<name>/endpoints  GET the service's ready instances (endpoints/)
 *   /api/v1/tasks/<ns>/<name>/secret-env    GET the task's secret env, for its node's agent (secrets.ts)
 *   /api/v1/secrets/<ns>/<name>?reveal=1    GET a Secret with its values (operator, admin)
 *   /api/v1/endpoints                    GET every service's endpoints, or watch them (SSE)
 *   /api/v1/apply                        POST a batch, all or nothing
 *   /api/v1/watch?kinds=K1,K2,...        GET: one watch (SSE) of several kinds, in revision order
 *   /api/v1/sd/targets                   GET: every server and agent, for Prometheus' http_sd (sd.ts)
 *   /api/v1/servers                      GET: every server, the leader first (servers.ts)
 *   /api/v1/admin/snapshot | defrag      GET an etcd snapshot, POST defragment each member (admin.ts)
 *   /api/v1/agent/...                    what agents on --server say to the cluster (agent-api/;
 *                                        its routes check the node scope themselves)
 *   /healthz /readyz /metrics /version   and the web UI at /
 *
 * With an Authenticator (`--tokens`), every request under /api/v1/ and /version
 * needs `Authorization: Bearer <token>` (401 otherwise); /healthz, /readyz, the
 * web UI's static files and (unless `--metrics-auth=token`) /metrics stay open.
 * Without one the server is in development mode: every request is DEV_PRINCIPAL.
 * Every route asks authorize() (pkg/auth) before it reads or writes (403), and
 * lists and watches show a namespaced principal only its namespaces' objects.
 * Writes go to the audit log (`--audit-log`); per-user limits answer 429.
 *
 * Every request is counted and timed by verb and kind.
 */
import { addMarks, traceNow } from '../api/trace.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createHttpServer } from '../http/serve.js';
import type { KeyPair } from '../tls/files.js';
import { ApiError } from '../api/errors.js';
import { CLUSTER_SCOPE, kindNames, lookupKind, type KindInfo } from '../api/kinds.js';
import { parseSelector } from '../api/labels.js';
import { parseLimit } from '../api/list-page.js';
import type { AuditLog } from '../auth/audit.js';
import type { Authenticator } from '../auth/authenticate.js';
import { authorize, WRITE_VERBS, type AuthzRequest, type Verb } from '../auth/authorize.js';
import { principalOf, setPrincipal, type Principal } from '../auth/principal.js';
import type { RateLimiter } from '../auth/rate-limit.js';
import { visibleTo } from '../auth/scope.js';
import { answerRefusedRequests } from '../http/client-error.js';
import { parseTarget, pathSegments, requireHost, type RequestTarget } from '../http/target.js';
import { errMsg, type Logger } from '../log/logger.js';
import * as metrics from '../metrics/metrics.js';
import type { PortRange } from '../api/types.js';
import type { Store } from '../store/store.js';
import { etcdHealth, probeEtcd } from '../store/etcd-health.js';
import { VERSION } from '../version.js';
import type { EtcdMaintenance } from '../store/maintenance.js';
import { AgentApi } from './agent-api/routes.js';
import { serveAdmin } from './admin.js';
import { proxyLogs } from './logs.js';
import { Objects } from './objects.js';
import { readJson, sendError, sendJson } from './respond.js';
import { serveBackfill, serveMarkSuccess, serveResume, serveRun, serveSuspend } from './jobs-subresources.js';
import { serveTargets } from './sd.js';
import { checkReveal, serveSecretEnv, wantsReveal } from './secrets.js';
import type { SecretCipher } from '../secrets/cipher.js';
import { serveServers } from './servers.js';
import { serveRestart, serveRollback } from './services-subresources.js';
import { serveWatch, watchQueueBytes } from './watch.js';
import { endpointsSource, serveEndpointsList, serveEndpointsWatch, serveServiceEndpoints, type EndpointsSource } from './endpoints/http.js';
import type { EndpointsView } from './endpoints/view.js';

/** How long /readyz waits for etcd before it answers 503. */
const READYZ_ETCD_TIMEOUT_MS = 1000;

export interface Target {
  kind: KindInfo;
  namespace: string | undefined;
  name: string;
}

/** A handler of POST|GET /api/v1/<kind>/<ns>/<name>/<sub>. */
export type SubresourceHandler = (t: Target, req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => Promise<void>;

export interface ReadyInfo {
  isLeader: boolean;
  leader?: string;
}

export interface ApiServerOptions {
  store: Store;
  log: Logger;
  ready: () => ReadyInfo;
  /** This server's election identity (marks it `self` in /api/v1/servers). */
  identity?: string;
  /** Extra routes (web UI) tried before 404; return true when handled. */
  fallback?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** The cluster's service port range (`--service-port-range`; default 10000-10999). */
  servicePortRange?: PortRange;
  /** Starts the endpoints view (once); without it the endpoints routes answer 404. */
  endpoints?: () => Promise<EndpointsView>;
  /** Serve HTTPS with this certificate (`--tls-cert/--tls-key`). */
  tls?: KeyPair;
  /** Verify agents' HTTPS log endpoints against this CA (`--agent-ca`); without it agents are reached over http. */
  agentCa?: Buffer;
  /** Seals and opens Secret values (`--secrets-key`); default: stored as given. */
  secrets?: SecretCipher;
  /** Who may call (`--tokens`); absent = development mode, every request is DEV_PRINCIPAL. */
  authn?: Authenticator;
  /** Whether /metrics needs a token too (`--metrics-auth=token`); default no, so Prometheus keeps scraping. */
  metricsAuth?: boolean;
  /** Per-user request rate and watch caps (with --tokens). */
  limits?: RateLimiter;
  /** Where every write is recorded (`--audit-log`). */
  audit?: AuditLog;
  /** etcd's snapshot and defragmentation, for the admin routes; without it they answer 404. */
  maintenance?: EtcdMaintenance;
  /** --node-lost-grace (seconds), told to agents with their heartbeat session. */
  nodeLostGraceSeconds?: number;
}

/** Verbs recorded in the audit log: every write, and the admin routes (a snapshot reads every secret). */
const WRITES = new Set<string>([...WRITE_VERBS, 'admin']);
/** The verb of a subresource: GET .../log reads logs, POST .../rollback is "rollback", and so on. */
const SUB_VERBS: Record<string, Verb> = { log: 'logs', endpoints: 'get' };

export class ApiServer {
  readonly objects: Objects;
  readonly endpoints: EndpointsSource | undefined;
  readonly agents: AgentApi;
  private server: Server | undefined;
  private readonly subresources = new Map<string, { h: SubresourceHandler; verb: Verb | 'self' }>();

  constructor(private readonly o: ApiServerOptions) {
    this.objects = new Objects(o.store, { ...(o.servicePortRange ? { servicePortRange: o.servicePortRange } : {}), ...(o.secrets ? { secrets: o.secrets } : {}) });
    this.agents = new AgentApi({ store: o.store, objects: this.objects, log: o.log, ...(o.nodeLostGraceSeconds !== undefined ? { nodeLostGraceSeconds: o.nodeLostGraceSeconds } : {}) });
    this.addSubresource('tasks', 'GET', 'log', (t, req, res, q) => proxyLogs(o.store, req, res, t.namespace ?? 'default', t.name, q, o.agentCa));
    this.addSubresource('tasks', 'GET', 'secret-env', (t, req, res) => serveSecretEnv(o.store, this.objects.secrets, req, res, t.namespace ?? 'default', t.name), 'self');
    this.addSubresource('services', 'POST', 'rollback', (t, req, res) => serveRollback(o.store, req, res, t.namespace, t.name, this.objects.servicePortRange));
    this.addSubresource('services', 'POST', 'restart', (t, req, res) => serveRestart(o.store, req, res, t.namespace, t.name));
    this.endpoints = o.endpoints ? endpointsSource(o.endpoints, watchQueueBytes) : undefined;
    this.addSubresource('services', 'GET', 'endpoints', (t, _req, res) => serveServiceEndpoints(this.endpointsOrThrow(), res, t.namespace ?? 'default', t.name));
    this.addSubresource('jobs', 'POST', 'run', (t, req, res) => serveRun(o.store, req, res, t.namespace, t.name));
    this.addSubresource('jobs', 'POST', 'suspend', (t, req, res) => serveSuspend(o.store, req, res, t.namespace, t.name));
    this.addSubresource('jobs', 'POST', 'resume', (t, req, res) => serveResume(o.store, req, res, t.namespace, t.name));
    this.addSubresource('jobs', 'POST', 'backfill', (t, req, res) => serveBackfill(o.store, req, res, t.namespace, t.name));
    this.addSubresource('jobruns', 'POST', 'mark-success', (t, req, res) => serveMarkSuccess(o.store, req, res, t.namespace, t.name));
  }

  private endpointsOrThrow(): EndpointsSource {
    if (!this.endpoints) throw new ApiError('NotFound', 'this server does not serve endpoints');
    return this.endpoints;
  }

  /**
   * A handler of METHOD /api/v1/<plural>/<ns>/<name>/<sub>, authorized as verb
   * (default: SUB_VERBS, else the subresource's name); 'self' for a handler
   * that authorizes its caller itself (the agents' routes check the node scope).
   */
  addSubresource(plural: string, method: string, sub: string, h: SubresourceHandler, verb?: Verb | 'self'): void {
    this.subresources.set(`${method} ${plural}/${sub}`, { h, verb: verb ?? SUB_VERBS[sub] ?? (sub as Verb) });
  }

  async listen(host: string, port: number): Promise<string> {
    // Node's own Host check answers an empty 400: handle() answers it in the API's shape
    const server = createHttpServer(this.o.tls, (req, res) => {
      // handle() answers its own errors; this catches what is left (a throw while answering one)
      this.handle(req, res).catch((e) => {
        this.o.log.error('request failed while answering an error', { verb: req.method, error: errMsg(e) });
        res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    answerRefusedRequests(server);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.on('error', (e) => this.o.log.error('http server error', { error: errMsg(e) }));
    const a = server.address();
    return typeof a === 'object' && a ? `${a.address}:${a.port}` : `${host}:${port}`;
  }

  async close(): Promise<void> {
    await this.agents.close();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verb = req.method ?? 'GET';
    let kindLabel = 'none';
    let watching = false;
    let path = req.url ?? '/';
    const end = metrics.apiLatency.startTimer();
    let code = 200;
    let authenticated = !this.o.authn;
    let endWatch: (() => void) | undefined;
    // A write after the client left (or after the answer) emits 'error' on res: never let it end the process.
    res.on('error', (e) => this.o.log.debug('response error', { verb, path, error: errMsg(e) }));
    // No GET reads a body: discard one, or a stream answering it (a watch) would never see its
    // client leave (an unread body holds the socket paused) until its next ping.
    if (verb === 'GET' || verb === 'HEAD') req.resume();
    try {
      requireHost(req);
      const target = parseTarget(req.url);
      path = target.pathname;
      if (this.o.authn && this.needsToken(path)) {
        const p = this.o.authn.authenticate(req.headers.authorization);
        setPrincipal(req, p);
        authenticated = true;
        this.o.limits?.admit(p.user);
      } else if (this.o.authn) {
        // an open route (probes, the UI's files): a principal that may act nowhere, never DEV_PRINCIPAL
        setPrincipal(req, NOBODY);
      }
      const watch = target.searchParams.get('watch');
      // streams are timed as WATCH, not as one long GET
      watching = watch === '1' || watch === 'true' || path === '/api/v1/watch' || path === '/api/v1/agent/assignments';
      if (watching && this.o.authn && path.startsWith('/api/')) endWatch = this.o.limits?.watchStarted(principalOf(req).user);
      if (path.startsWith('/api/v1/')) {
        kindLabel = 'unknown'; // until the path decodes
        const parts = pathSegments(path.slice('/api/v1/'.length));
        kindLabel = ROUTES.has(parts[0] ?? '') ? parts[0]! : (lookupKind(parts[0] ?? '')?.plural ?? 'unknown');
        code = await this.api(req, res, verb, parts, target.searchParams);
      } else {
        kindLabel = 'system';
        code = await this.system(req, res, targetUrl(target));
      }
    } catch (e) {
      code = sendError(res, e);
      if (code >= 500 && code !== 503) this.o.log.error('request failed', { verb, path, error: errMsg(e) });
    } finally {
      endWatch?.();
      if (this.o.audit) this.audit(req, verb, path, code, authenticated);
      const v = watching ? 'WATCH' : verb;
      end({ verb: v, kind: kindLabel });
      metrics.apiRequests.inc({ verb: v, kind: kindLabel, code: String(code) });
    }
  }

  /** 403 unless the request's principal may do r; writes are noted for the audit log. */
  private allow(req: IncomingMessage, r: AuthzRequest): void {
    if (WRITES.has(r.verb) && this.o.audit) {
      let l = writesOf.get(req);
      if (!l) writesOf.set(req, (l = []));
      l.push(r);
    }
    if (!this.o.authn) return;
    const d = authorize(principalOf(req), r);
    if (!d.allowed) throw new ApiError('Forbidden', d.message);
  }

  /** Which namespaces' objects the request may see; undefined: all of them. */
  private visible(req: IncomingMessage): ((ns: string | undefined) => boolean) | undefined {
    return this.o.authn ? visibleTo(principalOf(req)) : undefined;
  }

  /** One audit line per write the request asked for; a write refused before it named an object, one line with its path. */
  private audit(req: IncomingMessage, method: string, path: string, code: number, authenticated: boolean): void {
    const writes = writesOf.get(req);
    if (!writes && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || !path.startsWith('/api/'))) return;
    const p = authenticated ? principalOf(req) : undefined;
    const who = { user: p?.user ?? null, role: p?.role ?? null };
    if (!writes) {
      this.o.audit!.write({ ...who, verb: method.toLowerCase(), kind: '', path, code });
      return;
    }
    for (const w of writes) {
      this.o.audit!.write({ ...who, verb: w.verb, kind: w.kind, ...(w.namespace !== undefined ? { namespace: w.namespace } : {}), ...(w.name !== undefined ? { name: w.name } : {}), ...(w.sub ? { sub: w.sub } : {}), code });
    }
  }

  /** The API and /version need a token; probes, the UI's static files and (by default) /metrics do not. */
  private needsToken(path: string): boolean {
    if (path.startsWith('/api/') || path === '/version') return true;
    return path === '/metrics' && this.o.metricsAuth === true;
  }

  private async api(req: IncomingMessage, res: ServerResponse, verb: string, parts: string[], q: URLSearchParams): Promise<number> {
    // the node authorizer (pkg/auth/node-authorizer.ts) decides on every agent route
    if (parts[0] === 'agent') return this.agents.serve(req, res, verb, parts.slice(1), q);
    if (parts[0] === 'apply' && parts.length === 1) {
      if (verb !== 'POST') throw methodNotAllowed(verb, '/api/v1/apply');
      const received = traceNow();
      const body = (await readJson(req)) as { items?: unknown[] };
      const results = await this.objects.apply(body?.items as unknown[], (o, i) => {
        const k = lookupKind(o.kind)!;
        try {
          this.allow(req, { verb: 'apply', kind: k.plural, namespace: k.namespaced ? o.metadata.namespace : undefined, name: o.metadata.name });
        } catch (e) {
          if (e instanceof ApiError && e.code === 'Forbidden') throw new ApiError('Forbidden', `document ${i + 1} (${o.kind} "${o.metadata.name}"): ${e.message}; nothing of this batch was written`);
          throw e;
        }
      });
      // ?trace=1 (stowctl apply --trace): when this server received and wrote the batch (api/trace.ts)
      sendJson(res, 200, { results, ...(q.has('trace') ? { trace: addMarks(undefined, { 'api.received': received, 'api.committed': traceNow() }) } : {}) });
      return 200;
    }
    if (parts[0] === 'watch') {
      if (parts.length !== 1) throw new ApiError('NotFound', `no route /api/v1/${parts.join('/')}; the watch of several kinds is /api/v1/watch?kinds=...`);
      if (verb !== 'GET') throw methodNotAllowed(verb, '/api/v1/watch');
      const kinds = parseKinds(q);
      const namespace = q.get('namespace') ?? undefined;
      for (const k of kinds) this.allow(req, { verb: 'watch', kind: k.plural, namespace: k.namespaced ? namespace : undefined });
      await serveWatch(this.o.store, this.o.log, req, res, {
        kinds,
        namespace,
        visible: this.visible(req),
        selector: q.get('labelSelector') ? parseSelector(q.get('labelSelector')!) : undefined,
        resourceVersion: q.get('resourceVersion') ?? undefined,
        markListed: true,
      });
      return 200;
    }
    if (parts[0] === 'sd') {
      if (parts.length !== 2 || parts[1] !== 'targets') throw new ApiError('NotFound', `no route /api/v1/${parts.join('/')}; service discovery is /api/v1/sd/targets`);
      if (verb !== 'GET') throw methodNotAllowed(verb, '/api/v1/sd/targets');
      this.allow(req, { verb: 'get', kind: 'sd', sub: 'targets' });
      await serveTargets(this.o.store, res, q);
      return 200;
    }
    if (parts[0] === 'servers') {
      if (parts.length !== 1) throw new ApiError('NotFound', `no route /api/v1/${parts.join('/')}; the servers are listed at /api/v1/servers`);
      if (verb !== 'GET') throw methodNotAllowed(verb, '/api/v1/servers');
      this.allow(req, { verb: 'list', kind: 'servers' });
      await serveServers(this.o.store, res, this.o.identity);
      return 200;
    }
    if (parts[0] === 'admin') {
      if (parts.length !== 2) throw new ApiError('NotFound', `no route /api/v1/${parts.join('/')}; the admin routes are /api/v1/admin/snapshot and /api/v1/admin/defrag`);
      this.allow(req, { verb: 'admin', kind: 'etcd', sub: parts[1] });
      return serveAdmin(this.o.maintenance, this.o.log, req, res, verb, parts[1]!);
    }
    if (parts[0] === 'endpoints') {
      if (parts.length !== 1) throw new ApiError('NotFound', `no route /api/v1/${parts.join('/')}; one service's endpoints are /api/v1/services/<namespace>/<name>/endpoints`);
      if (verb !== 'GET') throw methodNotAllowed(verb, '/api/v1/endpoints');
      const namespace = q.get('namespace') ?? undefined;
      const watch = q.get('watch');
      const w = watch === '1' || watch === 'true';
      this.allow(req, { verb: w ? 'watch' : 'list', kind: 'endpoints', namespace });
      if (w) await serveEndpointsWatch(this.endpointsOrThrow(), req, res, namespace, this.visible(req));
      else await serveEndpointsList(this.endpointsOrThrow(), res, namespace, this.visible(req));
      return 200;
    }
    const kind = lookupKind(parts[0] ?? '');
    if (!kind) throw new ApiError('NotFound', `unknown kind "${parts[0] ?? ''}"; known kinds: ${kindNames().join(', ')}`);
    const t = this.target(kind, parts.slice(1));
    if (!t) {
      return this.collection(req, res, verb, kind, q);
    }
    if (t.sub) {
      const s = this.subresources.get(`${verb} ${kind.plural}/${t.sub}`);
      if (!s) throw new ApiError('NotFound', `no subresource "${t.sub}" for ${verb} on ${kind.plural}`);
      if (s.verb !== 'self') this.allow(req, { verb: s.verb, kind: t.sub === 'endpoints' ? 'endpoints' : kind.plural, namespace: t.namespace, name: t.name, sub: t.sub });
      await s.h(t, req, res, q);
      return res.statusCode;
    }
    const objectVerb: Verb | undefined = verb === 'GET' ? 'get' : verb === 'PUT' ? 'update' : verb === 'DELETE' ? 'delete' : undefined;
    if (objectVerb) this.allow(req, { verb: objectVerb, kind: kind.plural, namespace: t.namespace, name: t.name });
    switch (verb) {
      case 'GET': {
        const reveal = kind.kind === 'Secret' && wantsReveal(q);
        if (reveal) checkReveal(req, t.namespace ?? 'default');
        if (reveal) res.setHeader('cache-control', 'no-store');
        sendJson(res, 200, await this.objects.get(kind, t.namespace, t.name, { reveal }));
        return 200;
      }
      case 'PUT':
        sendJson(res, 200, await this.objects.update(kind, t.namespace, t.name, await readJson(req)));
        return 200;
      case 'DELETE':
        sendJson(res, 200, await this.objects.remove(kind, t.namespace, t.name));
        return 200;
      default:
        throw methodNotAllowed(verb, `/api/v1/${kind.plural}/...`);
    }
  }

  private async collection(req: IncomingMessage, res: ServerResponse, verb: string, kind: KindInfo, q: URLSearchParams): Promise<number> {
    const namespace = q.get('namespace') ?? undefined;
    const selector = q.get('labelSelector') ?? undefined;
    if (verb === 'POST') {
      const body = await readJson(req);
      sendJson(res, 201, await this.objects.create(kind, body, (o) => this.allow(req, { verb: 'create', kind: kind.plural, namespace: kind.namespaced ? o.metadata.namespace : undefined, name: o.metadata.name })));
      return 201;
    }
    if (verb !== 'GET') throw methodNotAllowed(verb, `/api/v1/${kind.plural}`);
    const watch = q.get('watch');
    const visible = this.visible(req);
    if (watch === '1' || watch === 'true') {
      this.allow(req, { verb: 'watch', kind: kind.plural, namespace: kind.namespaced ? namespace : undefined });
      await serveWatch(this.o.store, this.o.log, req, res, {
        kinds: [kind],
        namespace,
        visible,
        selector: selector ? parseSelector(selector) : undefined,
        resourceVersion: q.get('resourceVersion') ?? undefined,
      });
      return 200;
    }
    this.allow(req, { verb: 'list', kind: kind.plural, namespace: kind.namespaced ? namespace : undefined });
    // a principal of one namespace listing every namespace reads only its own from etcd
    const only = this.o.authn && kind.namespaced && namespace === undefined ? principalOf(req).namespaces : undefined;
    const listNs = only?.length === 1 ? only[0] : namespace;
    // limit / continue: one page of a consistent snapshot (api/list-page.ts); checked before reading
    const limit = parseLimit(q.get('limit'));
    const cont = q.get('continue') || undefined; // empty: the first page, as in Kubernetes
    const l = limit !== undefined || cont !== undefined ? await this.objects.listPage(kind, listNs, selector, { limit, continue: cont }) : await this.objects.list(kind, listNs, selector);
    const items = visible && kind.namespaced ? l.items.filter((o) => visible(o.metadata.namespace)) : l.items;
    const more = 'continue' in l && l.continue !== undefined ? { continue: l.continue } : {};
    sendJson(res, 200, { apiVersion: 'stowage/v1', kind: 'List', metadata: { resourceVersion: l.revision, ...more }, items });
    return 200;
  }

  /** <ns>/<name>[/<sub>] or, for cluster-scoped kinds, <name>[/<sub>] too. */
  private target(kind: KindInfo, rest: string[]): (Target & { sub?: string }) | undefined {
    if (rest.length === 0) return undefined;
    if (!kind.namespaced && rest[0] !== CLUSTER_SCOPE) {
      if (rest.length > 2) throw new ApiError('NotFound', `${kind.plural} are cluster-scoped: use /api/v1/${kind.plural}/<name>`);
      return { kind, namespace: undefined, name: rest[0]!, sub: rest[1] };
    }
    if (rest.length < 2 || rest.length > 3) {
      throw new ApiError('NotFound', `expected /api/v1/${kind.plural}/<namespace>/<name>`);
    }
    return { kind, namespace: kind.namespaced ? rest[0] : undefined, name: rest[1]!, sub: rest[2] };
  }

  private async system(req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> {
    switch (url.pathname) {
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return 200;
      case '/readyz': {
        const info = this.o.ready();
        // A readiness probe must answer promptly: without a quorum a read never
        // answers, so it is given READYZ_ETCD_TIMEOUT_MS and then counts as unreachable.
        try {
          await probeEtcd(this.o.store.client, READYZ_ETCD_TIMEOUT_MS);
          etcdHealth.ok();
          sendJson(res, 200, { etcd: 'ok', leader: info.leader ?? null, isLeader: info.isLeader });
          return 200;
        } catch (e) {
          const reason = errMsg(e).split('\n')[0]!;
          etcdHealth.quiet(e);
          sendJson(res, 503, { etcd: `unreachable: ${reason}`, message: `etcd: ${reason}`, leader: info.leader ?? null, isLeader: info.isLeader });
          return 503;
        }
      }
      case '/metrics': {
        const text = await metrics.serverRegistry.metrics();
        res.writeHead(200, { 'content-type': metrics.serverRegistry.contentType }).end(text);
        return 200;
      }
      case '/version':
        sendJson(res, 200, { version: VERSION });
        return 200;
    }
    if (this.o.fallback && (await this.o.fallback(req, res, url))) return res.statusCode;
    throw new ApiError('NotFound', `no route ${url.pathname}; the API is under /api/v1/`);
  }
}

/** The URL the fallback routes get, built with setters (which never throw, unlike new URL(target, base)). */
function targetUrl(t: RequestTarget): URL {
  const u = new URL('http://localhost/');
  u.pathname = t.pathname;
  u.search = t.search;
  return u;
}

/** The principal of a request on an open route of a server with --tokens: a viewer of no namespace. */
const NOBODY: Principal = Object.freeze({ user: 'system:unauthenticated', role: 'viewer', namespaces: Object.freeze([]) });

/** The writes each request asked for, for the audit log. */
const writesOf = new WeakMap<IncomingMessage, AuthzRequest[]>();

/** Paths under /api/v1/ that are not kinds (the metrics' kind label is the path's first part). */
const ROUTES = new Set(['apply', 'sd', 'watch', 'servers', 'endpoints', 'agent', 'admin']);

/** `kinds=nodes,svc,Task` (any name of a kind, repeated or comma-separated): each kind once, in the order given. */
function parseKinds(q: URLSearchParams): KindInfo[] {
  const names = q.getAll('kinds').flatMap((v) => v.split(',')).map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) {
    throw new ApiError('BadRequest', `kinds is required: the kinds to watch, comma-separated (kinds=nodes,services,tasks); known kinds: ${kindNames().join(', ')}`, [{ field: 'kinds', rule: 'required', message: 'no kind given' }]);
  }
  const out: KindInfo[] = [];
  for (const n of names) {
    const k = lookupKind(n);
    if (!k) throw new ApiError('BadRequest', `kinds: unknown kind "${n}"; known kinds: ${kindNames().join(', ')}`, [{ field: 'kinds', rule: 'enum', message: `unknown kind "${n}"` }]);
    if (!out.includes(k)) out.push(k);
  }
  return out;
}

const methodNotAllowed = (verb: string, path: string) => new ApiError('BadRequest', `${verb} is not supported on ${path}`);
