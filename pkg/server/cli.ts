/**
 * `stowage server`: flags -> etcd client, store, election, the leader-only
 * loops and the HTTP API. Runs until SIGTERM/SIGINT, then steps down
 * (revoking its lease so a standby takes over at once) and exits.
 */
import { DEFAULT_NODE_LOST_GRACE_SECONDS } from '../store/node-register.js';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { Election } from '../election/election.js';
import { InformerFactory } from '../informer/factory.js';
import { logLevelOption, parseLogLevel, type LogLevel } from '../log/level.js';
import { errMsg, newLogger } from '../log/logger.js';
import { Manager } from '../manager/manager.js';
import { collectDefaults, serverRegistry } from '../metrics/metrics.js';
import { countDnsAnswer, registerDnsMetrics } from '../metrics/dns.js';
import type { EndpointsSource } from '../dns/answer.js';
import { startDnsServer } from '../dns/server.js';
import { newEtcdClient } from '../store/etcd.js';
import { addEtcdSecurityOptions, parseEtcdFlags, type RawEtcdFlags } from '../store/etcd-flags.js';
import { readCertificates, readKeyPair, type KeyPair } from '../tls/files.js';
import { Store } from '../store/store.js';
import { EtcdMaintenance } from '../store/maintenance.js';
import { Housekeeping } from '../controllers/housekeeping/controller.js';
import { leaderLoops, type LoopOptions } from '../controllers/index.js';
import { ApiServer } from './http.js';
import { AuditLog } from '../auth/audit.js';
import { RateLimiter, type Limits } from '../auth/rate-limit.js';
import { TokenFile } from '../auth/token-file.js';
import { isLoopback, parseBytes, parseChoice, parseDuration, parseHostPort, parseInteger, parseNumber, parseSeconds, parseShare } from './flags.js';
import { uiRoutes } from './ui.js';
import { compileSchemas } from '../api/schemas.js';
import { DEFAULT_SERVICE_PORT_RANGE, formatRange, parseServicePortRange } from '../api/service-ports.js';
import type { PortRange } from '../api/types.js';
import { InformerEndpointsView } from './endpoints/view.js';
import { configureWatch, WATCH_DEFAULTS } from './watch.js';
import { loadSecretsKey, type SecretCipher } from '../secrets/cipher.js';
import { etcdHealth, warnUnlessEtcdDown } from '../store/etcd-health.js';

/** Requests a second per user by default: far above what stowctl, the UI or an agent sends. */
const DEFAULT_RPS = 1000;

interface RawServerFlags extends RawEtcdFlags {
  etcd: string;
  tlsCert?: string;
  tlsKey?: string;
  agentCa?: string;
  listen: string;
  leaseTtl: string;
  nodeLostGrace: string;
  healthKillShare: string;
  healthKillWindow: string;
  healthSurge: boolean;
  etcdMaxTxnOps: string;
  watchQueueBytes: string;
  watchMaxReplays: string;
  watchCache: boolean;
  dnsListen?: string;
  servicePortRange: string;
  secretsKey?: string;
  logLevel: string;
  tokens?: string;
  metricsAuth: string;
  auditLog?: string;
  auditLogMaxMb: string;
  auditLogMaxFiles: string;
  rateLimit: string;
  rateLimitBurst?: string;
  maxWatches: string;
  compactionInterval: string;
  etcdQuotaBytes: string;
}

export function registerServerCommand(program: Command): void {
  const cmd = program
    .command('server')
    .description('serve the API, the web UI and /metrics; campaign for leadership and run the loops when elected')
    .option('--etcd <urls>', 'etcd endpoints, comma-separated (https:// for TLS)', 'http://127.0.0.1:2379');
  addEtcdSecurityOptions(cmd)
    .option('--listen <host:port>', 'address of the HTTP API', '127.0.0.1:7070')
    .option('--tls-cert <file>', 'serve the API over HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--agent-ca <file>', "PEM CA that signed the agents' --tls-cert: task logs are fetched from agents over HTTPS, verified against it")
    .option('--lease-ttl <seconds>', 'leader lease TTL: a standby takes over within this after the leader dies', '5')
    .option('--node-lost-grace <seconds>', "how long a node may miss heartbeats before its tasks are Lost and replaced", String(DEFAULT_NODE_LOST_GRACE_SECONDS))
    .option('--health-kill-share <0..1>', "share of a service's instances that may be killed for failing health checks per window (at least one)", '0.25')
    .option('--health-kill-window <seconds>', 'the window of that brake', '60')
    .option('--no-health-surge', 'kill an unhealthy task before its replacement is healthy')
    .option('--etcd-max-txn-ops <n>', "etcd's --max-txn-ops: the most compares or writes in one transaction (raise it only with etcd's)", '128')
    .option('--watch-queue-bytes <size>', 'events that may wait for a slow watch client before its stream is cut off (e.g. 8Mi)', `${WATCH_DEFAULTS.maxQueuedBytes >> 20}Mi`)
    .option('--watch-max-replays <n>', 'watch streams that may replay history from etcd at once (resumes from before the watch cache window)', String(WATCH_DEFAULTS.maxReplays))
    .option('--no-watch-cache', 'serve each watch stream from a list and an etcd watch of its own (the way before the shared cache; for comparisons)')
    .option('--dns-listen <host:port>', 'serve DNS (A and SRV of <service>.<namespace>.stowage.) on this address, UDP and TCP (default: off)')
    .option('--service-port-range <begin-end>', "the ports services' servicePort may take (0 = one assigned from here); unique across the cluster", formatRange(DEFAULT_SERVICE_PORT_RANGE))
    .option('--secrets-key <file>', 'encrypt Secret values at rest with this key: 32 random bytes, raw or base64 (head -c 32 /dev/urandom | base64 > FILE); agents reading etcd need the same file')
    .option('--tokens <file>', 'who may call the API: a YAML list of {user, role, namespaces?, sha256}, reloaded on change (default: development mode, open, loopback only)')
    .option('--metrics-auth <none|token>', '/metrics without a token (none, for Prometheus) or only with one', 'none')
    .option('--audit-log <file>', 'record every write through the API (who, verb, object, result) as JSON lines in this file (default: off)')
    .option('--audit-log-max-mb <n>', 'rotate the audit log when it reaches this many MiB', '100')
    .option('--audit-log-max-files <n>', 'rotated audit logs kept (FILE.1 ... FILE.n)', '5')
    .option('--rate-limit <rps>', 'requests a second per user with --tokens (a token bucket; 0 = no limit)', String(DEFAULT_RPS))
    .option('--rate-limit-burst <n>', 'requests a user may make at once after a quiet spell (default: 2 x --rate-limit)')
    .option('--max-watches <n>', 'watch streams one user may hold open at once, with --tokens (0 = no limit)', '200')
    .option('--compaction-interval <duration>', "the leader compacts etcd's history older than this, every this often (5m, 30s, 1h; 0 = off, leave it to etcd's own flags)", '5m')
    .option('--etcd-quota-bytes <size>', "etcd's --quota-backend-bytes (2Gi is etcd's default): past 80% of it the server warns and stowage_etcd_db_size_bytes alerts", '2Gi')
    .addOption(logLevelOption())
    .action(async (raw: RawServerFlags, cmd: Command) => {
      let level: LogLevel;
      let listen: { host: string; port: number };
      let dnsListen: { host: string; port: number } | undefined;
      let leaseTtl: number;
      let maxTxnOps: number;
      let opts: LoopOptions;
      let servicePortRange: PortRange;
      let etcd: ReturnType<typeof parseEtcdFlags>;
      let tls: KeyPair | undefined;
      let agentCa: Buffer | undefined;
      let secrets: SecretCipher | undefined;
      let metricsAuth: boolean;
      let limits: Limits;
      let audit: { maxBytes: number; keep: number } | undefined;
      let housekeeping: { compactionIntervalMs: number; quotaBytes: number };
      try {
        level = parseLogLevel(raw.logLevel, cmd.getOptionValueSource('logLevel'));
        etcd = parseEtcdFlags(raw);
        tls = readKeyPair('--tls-cert', '--tls-key', raw.tlsCert, raw.tlsKey);
        if (raw.agentCa !== undefined) agentCa = readCertificates('--agent-ca', raw.agentCa);
        listen = parseHostPort('--listen', raw.listen);
        if (raw.tokens === undefined && !isLoopback(listen.host)) {
          throw new RangeError(`--listen: ${raw.listen} is not a loopback address; without --tokens the API is open to anyone who reaches it, so it listens only on 127.0.0.1, ::1 or localhost (give --tokens FILE to listen elsewhere)`);
        }
        if (raw.tokens === '') throw new RangeError('--tokens: the path of the tokens file is empty');
        metricsAuth = parseChoice('--metrics-auth', raw.metricsAuth, ['none', 'token']) === 'token';
        const rps = parseNumber('--rate-limit', raw.rateLimit, 0, 'requests a second');
        limits = {
          rps,
          burst: raw.rateLimitBurst === undefined ? Math.max(1, Math.ceil(rps * 2)) : parseInteger('--rate-limit-burst', raw.rateLimitBurst, 1),
          maxWatches: parseInteger('--max-watches', raw.maxWatches, 0),
        };
        if (raw.auditLog === '') throw new RangeError('--audit-log: the path of the audit log is empty');
        if (raw.auditLog !== undefined) {
          audit = { maxBytes: parseNumber('--audit-log-max-mb', raw.auditLogMaxMb, 0.001, 'MiB') * (1 << 20), keep: parseInteger('--audit-log-max-files', raw.auditLogMaxFiles, 0) };
        }
        if (raw.dnsListen !== undefined) dnsListen = parseHostPort('--dns-listen', raw.dnsListen);
        leaseTtl = parseSeconds('--lease-ttl', raw.leaseTtl, 2);
        maxTxnOps = parseInteger('--etcd-max-txn-ops', raw.etcdMaxTxnOps, 128);
        housekeeping = {
          compactionIntervalMs: parseDuration('--compaction-interval', raw.compactionInterval),
          quotaBytes: parseBytes('--etcd-quota-bytes', raw.etcdQuotaBytes, 1),
        };
        servicePortRange = parseServicePortRange('--service-port-range', raw.servicePortRange);
        if (raw.secretsKey !== undefined) secrets = await loadSecretsKey(raw.secretsKey);
        opts = {
          nodeLostGraceMs: parseSeconds('--node-lost-grace', raw.nodeLostGrace, 0) * 1000,
          health: {
            share: parseShare('--health-kill-share', raw.healthKillShare),
            windowMs: parseSeconds('--health-kill-window', raw.healthKillWindow, 1) * 1000,
            surge: raw.healthSurge,
          },
        };
        configureWatch({
          maxQueuedBytes: parseBytes('--watch-queue-bytes', raw.watchQueueBytes, 1),
          maxReplays: parseInteger('--watch-max-replays', raw.watchMaxReplays, 1),
          cache: raw.watchCache,
        });
      } catch (e) {
        process.stderr.write(`error: ${errMsg(e)}\n`);
        process.exit(2);
      }
      const log = newLogger({ component: 'server', level });
      let tokens: TokenFile | undefined;
      if (raw.tokens !== undefined) {
        try {
          tokens = await TokenFile.open(raw.tokens, log.child({ part: 'auth' }));
        } catch (e) {
          process.stderr.write(`error: ${errMsg(e)}\n`);
          process.exit(2);
        }
      } else {
        // a JSON line like every other (log readers parse them), worded to stand out
        log.warn('DEVELOPMENT MODE: no --tokens, the API asks for no credentials and every caller is an admin; listening on loopback only. Give --tokens FILE for anything else (docs/api.md, Authentication)', { listen: raw.listen, mode: 'development' });
      }
      let auditLog: AuditLog | undefined;
      if (audit && raw.auditLog) {
        try {
          auditLog = new AuditLog({ path: raw.auditLog, ...audit, log: log.child({ part: 'audit' }) });
        } catch (e) {
          process.stderr.write(`error: --audit-log: cannot open ${raw.auditLog}: ${errMsg(e)}\n`);
          process.exit(2);
        }
      }
      collectDefaults(serverRegistry);
      const client = newEtcdClient(etcd);
      const store = new Store(client, { maxTxnOps });
      const { endpoints: _endpoints, ...etcdAccess } = etcd;
      const maintenance = new EtcdMaintenance(client, etcdAccess);
      etcdHealth.use(client, log);
      const identity = `${hostname()}/${process.pid}@${raw.listen}`;
      const election = new Election(client, { ttl: leaseTtl, identity }, log.child({ part: 'election' }));
      const informers = new InformerFactory(store, log);
      const manager = new Manager(election, log);
      const api = new ApiServer({
        store,
        log,
        ready: () => ({ isLeader: election.isLeader, leader: election.leader?.identity }),
        identity,
        fallback: uiRoutes(),
        servicePortRange,
        ...(tls ? { tls } : {}),
        ...(agentCa ? { agentCa } : {}),
        ...(secrets ? { secrets } : {}),
        // the services' endpoints, from the shared informers (the DNS server reads the same view)
        endpoints: () => InformerEndpointsView.start(informers, log.child({ part: 'endpoints' })),
        // limits are per user, so only with --tokens (development mode has one anonymous user)
        ...(tokens ? { authn: tokens.auth, limits: new RateLimiter(limits) } : {}),
        ...(auditLog ? { audit: auditLog } : {}),
        metricsAuth,
        maintenance,
        nodeLostGraceSeconds: opts.nodeLostGraceMs / 1000,
      });
      manager.add(new Housekeeping(maintenance, log.child({ part: 'housekeeping' }), housekeeping));
      for (const loop of leaderLoops({ store, informers, log, opts, fence: () => election.fence(), identity })) manager.add(loop);
      compileSchemas();
      const addr = await api.listen(listen.host, listen.port);
      log.info('serving', { address: addr, scheme: tls ? 'https' : 'http', etcd: raw.etcd, etcdTls: etcd.tls ? (etcd.tls.cert ? 'client-certificate' : 'server-only') : 'off', identity, leaseTtl, secretsAtRest: secrets ? `encrypted (key id ${secrets.keyId})` : 'plaintext (no --secrets-key)' });
      // DNS answers from the endpoints view once it is synced; until then every name under
      // stowage. is SERVFAIL (resolvers retry; nothing caches a false NXDOMAIN).
      let endpointsView: EndpointsSource | undefined;
      const endpoints: EndpointsSource = { get: (ns, name) => endpointsView?.get(ns, name), ready: () => endpointsView !== undefined };
      const dns = dnsListen
        ? await startDnsServer({ ...dnsListen, source: endpoints, log, onAnswer: countDnsAnswer }).catch((e: unknown) => {
            throw new Error(`--dns-listen: cannot listen on ${raw.dnsListen}: ${errMsg(e)}`);
          })
        : undefined;
      if (dns) registerDnsMetrics(serverRegistry);
      await manager.start();
      // warm the endpoints view now, not on the first proxy's request, and hand it to DNS
      let stopping = false;
      const warmEndpoints = (): void => {
        api.endpoints?.view().then(
          (v) => (endpointsView = v),
          (e: unknown) => {
            warnUnlessEtcdDown(log, 'endpoints view not ready yet; trying again', { error: errMsg(e) }, e);
            if (!stopping) setTimeout(warmEndpoints, 1000).unref();
          },
        );
      };
      warmEndpoints();
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info('stopping', { signal });
        const force = setTimeout(() => process.exit(0), 5000);
        await manager.stop().catch(() => undefined);
        await informers.stop().catch(() => undefined);
        await api.close().catch(() => undefined);
        tokens?.close();
        auditLog?.close();
        await dns?.close().catch(() => undefined);
        etcdHealth.close();
        client.close();
        clearTimeout(force);
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
