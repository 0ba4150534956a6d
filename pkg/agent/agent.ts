/**
 * The agent process: hosts one node (docker) or many hollow ones (sim) and
 * wires the pieces together.
 *
 *        --listen (logs, metrics) ◄── address written into each Node
 *                 │
 *   start: heartbeat lease + keys ──► register Nodes (Ready) ──► list+watch assignments
 *                                                                  │ per node
 *                                  runtime ◄── NodeSync ◄──────────┘
 *                                                 │
 *                                        StatusWriter (shared, batched CAS)
 *
 *   stop: stop watching and syncing, flush statuses, revoke the lease (the
 *   nodes go NotReady at once), close; containers keep running and a
 *   restarted agent adopts them.
 */
import { randomBytes } from 'node:crypto';
import type { Resources } from '../api/types.js';
import { agentSource } from '../events/node-ready.js';
import { EventRecorder } from '../events/recorder.js';
import { errMsg, type Logger } from '../log/logger.js';
import { agentRegistry, agentTasks } from '../metrics/metrics.js';
import { newEtcdClient } from '../store/etcd.js';
import { etcdHealth } from '../store/etcd-health.js';
import { forEachLimit } from '../util/limiter.js';
import { VERSION } from '../version.js';
import { hostCapacity } from './capacity.js';
import type { AgentConfig } from './flags.js';
import { startAgentServer, type AgentServer } from './http.js';
import { ApiPlane } from './plane/api.js';
import { EtcdPlane } from './plane/etcd.js';
import type { AssignmentSource, ControlPlane, Session } from './plane/plane.js';
import type { Runtime } from './runtime/runtime.js';
import { TaskHealth } from './sync/health.js';
import { TaskReadiness } from './sync/readiness.js';
import { NodeSync } from './sync/node-sync.js';
import { StatusWriter } from './sync/status-writer.js';
import type { Readable } from 'node:stream';
import { retry } from '../util/backoff.js';
import { UsageSampler } from './usage.js';
import { DisconnectGuard } from './disconnect-guard.js';
import { DEFAULT_NODE_LOST_GRACE_SECONDS } from '../store/node-register.js';
import { SecretCipher } from '../secrets/cipher.js';
import type { SecretEnv } from '../secrets/resolve.js';

export interface AgentOptions {
  config: AgentConfig;
  /** With --server: the token read from --token-file (undefined: a server without --tokens). */
  token?: string;
  log: Logger;
  /** The container runtime of one node. */
  runtimeFor: (node: string) => Promise<Runtime>;
  /** The directory whose free space is the default disk capacity. */
  dataRoot: () => Promise<string>;
  /** Hollow nodes: run every health check as an exec (the sim driver answers it). */
  execOnlyHealth: boolean;
  /** Write Events for notable things (docker nodes: yes; thousands of hollow ones: no). */
  events: boolean;
  /** Reconciles at once per node. */
  workersPerNode: number;
  /** Container starts at once per node. */
  parallelStarts?: number;
  /** Re-list each runtime this often (ms). */
  resyncMs?: number;
  /** The key of --secrets-key (secrets encrypted at rest); without it sealed values cannot be read. */
  secretsCipher?: SecretCipher;
  /** Where tasks' secret env comes from; default: the control plane's (etcd, opened with secretsCipher; or the server's secret-env route). */
  secretEnv?: SecretEnv;
}

interface Hosted {
  sync: NodeSync;
  runtime: Runtime;
  usage?: UsageSampler;
}

export class Agent {
  private plane: ControlPlane | undefined;
  private server: AgentServer | undefined;
  private writer: StatusWriter | undefined;
  private session: Session | undefined;
  private watcher: AssignmentSource | undefined;
  private guard: DisconnectGuard | undefined;
  /** What the log endpoint wants from a caller: handed to the servers at registration. */
  private readonly logSecret = randomBytes(32).toString('hex');
  private readonly hosted = new Map<string, Hosted>();
  private capacity: Resources | undefined;
  private stopping = false;
  /** host:port of the --listen endpoint, as written into the Nodes. */
  address = '';

  constructor(private readonly o: AgentOptions) {}

  get nodes(): string[] {
    return this.o.config.nodes;
  }

  async start(): Promise<void> {
    const cfg = this.o.config;
    const log = this.o.log;
    const etcd = cfg.servers.length > 0 ? undefined : newEtcdClient({ endpoints: cfg.etcd, ...(cfg.etcdTls ? { tls: cfg.etcdTls } : {}), ...(cfg.etcdAuth ? { auth: cfg.etcdAuth } : {}) });
    // an etcd outage (seen directly, or as the servers' 503s) is logged once each way; containers keep running
    etcdHealth.use(etcd, log, { paused: 'etcd unavailable: containers keep running; heartbeats and status reports paused', resumed: 'etcd available again: heartbeats and status reports resumed' });
    const plane = (this.plane = etcd ? new EtcdPlane(etcd, log) : new ApiPlane({ urls: cfg.servers, token: this.o.token, log, ...(cfg.serverCa ? { ca: cfg.serverCa } : {}) }));
    this.server = await startAgentServer({
      host: cfg.listen.host,
      port: cfg.listen.port,
      secret: this.logSecret,
      ...(cfg.tls ? { tls: cfg.tls } : {}),
      log,
      logs: { openLogs: (ns, name, opts) => this.openLogs(ns, name, opts) },
      metrics: async () => {
        this.updateGauges();
        return { contentType: agentRegistry.contentType, body: await agentRegistry.metrics() };
      },
    });
    this.address = `${cfg.advertiseHost.includes(':') ? `[${cfg.advertiseHost}]` : cfg.advertiseHost}:${this.server.port}`;
    this.capacity = await hostCapacity(cfg.capacity, this.o.dataRoot);
    const writer = (this.writer = new StatusWriter(plane.statuses, log));
    const secretEnv = this.o.secretEnv ?? plane.secretEnv(this.o.secretsCipher ?? new SecretCipher());
    await forEachLimit(cfg.nodes, 64, async (node) => {
      const runtime = await this.o.runtimeFor(node);
      const nodeLog = log.child({ node });
      const recorder = this.o.events ? new EventRecorder(plane.events, agentSource(node), nodeLog) : undefined;
      const health = new TaskHealth({ runtime, writer, log: nodeLog, execOnly: this.o.execOnlyHealth, ...(recorder ? { recorder } : {}) });
      const readiness = new TaskReadiness({ runtime, writer, log: nodeLog, execOnly: this.o.execOnlyHealth });
      const sync = new NodeSync({
        node,
        runtime,
        writer,
        log,
        spec: { host: cfg.advertiseHost, pidsLimit: cfg.pidsLimit, nofileLimit: cfg.nofileLimit, nprocLimit: cfg.nprocLimit },
        health,
        readiness,
        ...(recorder ? { recorder } : {}),
        workers: this.o.workersPerNode,
        secretEnv,
        ...(this.o.parallelStarts ? { parallelStarts: this.o.parallelStarts } : {}),
        ...(this.o.resyncMs !== undefined ? { resyncMs: this.o.resyncMs } : {}),
      });
      const usage =
        cfg.usageInterval > 0
          ? new UsageSampler({ node, runtime, running: () => sync.running(), sink: plane.usage, log, intervalMs: cfg.usageInterval * 1000 })
          : undefined;
      this.hosted.set(node, { sync, runtime, ...(usage ? { usage } : {}) });
    });
    // The heartbeat first, then Ready: a node shown Ready before its heartbeat key exists is
    // taken for one that stopped heartbeating (NodeNotReady, at once undone).
    // cut off past the servers' grace: stop the containers they have given away (disconnect.ts)
    const guard = (this.guard = new DisconnectGuard({
      log,
      ttlSeconds: cfg.heartbeatTtl,
      override: cfg.stopAfterDisconnect,
      defaultGraceSeconds: DEFAULT_NODE_LOST_GRACE_SECONDS,
      stop: (reason) => [...this.hosted.values()].reduce((n, h) => n + h.sync.halt(reason), 0),
      resume: () => {
        for (const h of this.hosted.values()) h.sync.resume();
      },
    }));
    this.session = plane.session({
      nodes: cfg.nodes,
      ttlSeconds: cfg.heartbeatTtl,
      version: VERSION,
      log,
      onRenewed: () => this.registerAll(),
      observer: guard,
    });
    await this.session.start();
    guard.start();
    await this.registerAll();
    this.watcher = plane.assignments(
      new Set(cfg.nodes),
      {
        snapshot: (node, items) => this.hosted.get(node)?.sync.snapshot(items),
        put: (a) => void this.hosted.get(a.node)?.sync.put(a),
        remove: (node, ns, name) => this.hosted.get(node)?.sync.remove(ns, name),
      },
      log,
    );
    await this.watcher.start();
    await forEachLimit([...this.hosted.values()], 64, (h) => h.sync.start());
    for (const h of this.hosted.values()) h.usage?.start();
    log.info('agent ready', {
      nodes: cfg.nodes.length === 1 ? cfg.nodes[0] : `${cfg.nodes[0]}..${cfg.nodes.at(-1)} (${cfg.nodes.length})`,
      driver: cfg.driver,
      ...(cfg.servers.length > 0 ? { servers: cfg.servers.join(',') } : { etcd: cfg.etcd.join(',') }),
      address: this.address,
      capacity: this.capacity,
      stopAfterDisconnect: guard.afterSeconds === undefined ? 'off' : `heartbeat TTL + ${guard.afterSeconds} s`,
    });
  }

  /** Register every hosted node (Ready); etcd (or every server) being down is waited out. */
  private async registerAll(): Promise<void> {
    const cfg = this.o.config;
    await forEachLimit(cfg.nodes, 32, async (name) => {
      const node = { name, capacity: this.capacity!, portRanges: cfg.portRanges, attributes: cfg.attributes, address: this.address, version: VERSION, driver: cfg.driver };
      await retry(() => this.plane!.register(node, this.logSecret), {
        stopped: () => this.stopping,
        onError: (e, ms, n) => {
          if (n % 5 === 1) this.o.log.warn('registering node failed; retrying', { node: name, error: errMsg(e), retryInMs: ms });
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.guard?.close();
    await this.watcher?.stop();
    await Promise.all([...this.hosted.values()].map((h) => h.usage?.stop()));
    for (const h of this.hosted.values()) await h.sync.stop();
    if (this.writer) {
      await Promise.race([this.writer.idle(), new Promise((r) => setTimeout(r, 2000))]);
      this.writer.close();
    }
    await this.session?.close();
    await this.server?.close();
    await Promise.all([...this.hosted.values()].map((h) => h.runtime.close().catch(() => undefined)));
    etcdHealth.close();
    this.plane?.close();
    this.o.log.info('agent stopped; containers left running for the next agent to adopt');
  }

  private async openLogs(ns: string, name: string, opts: { follow: boolean; tail?: number }): Promise<Readable | undefined> {
    for (const h of this.hosted.values()) {
      const id = h.sync.containerOf(ns, name);
      if (id) return h.runtime.logs(id, opts);
    }
    return undefined;
  }

  private updateGauges(): void {
    const counts = new Map<string, number>();
    for (const h of this.hosted.values()) h.sync.countStates(counts);
    agentTasks.reset();
    for (const [state, n] of counts) agentTasks.set({ state }, n);
  }
}
