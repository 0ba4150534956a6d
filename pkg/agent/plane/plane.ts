/**
 * Everything the agent says to the cluster, behind one interface with two
 * implementations, so the sync logic is the same for both:
 *
 *   etcd.ts  --etcd URLs    the agent holds etcd credentials (clusters without tokens)
 *   api.ts   --server URLs  the agent talks to the servers' agent API with a token of
 *                           role node (docs/api.md "Agents"); it never opens etcd
 *
 *   register   the Node (spec merge + Ready, CAS) and the log endpoint's secret
 *   session    the heartbeat: keys that vanish within the TTL once the agent dies
 *   assignments  list + watch of the assignments of the hosted nodes
 *   statuses   batched CAS status writes (sync/status-writer.ts)
 *   events, usage
 *   secretEnv  the values of a task's {secret, key} env references
 */
import type { EventSink } from '../../events/recorder.js';
import type { Logger } from '../../log/logger.js';
import type { SecretCipher } from '../../secrets/cipher.js';
import type { SecretEnv } from '../../secrets/resolve.js';
import type { Registration } from '../../store/node-register.js';
import type { AssignmentHandler } from '../sync/assignments.js';
import type { StatusSink } from '../sync/status-writer.js';
import type { UsageSink } from '../usage.js';

export interface SessionOptions {
  nodes: string[];
  ttlSeconds: number;
  version: string;
  log: Logger;
  /** After a lost heartbeat was replaced: register again (the node may have gone NotReady). */
  onRenewed: () => Promise<void>;
  /** Told of every heartbeat that landed (disconnect.ts); times are performance.now(). */
  observer?: HeartbeatObserver;
}

/** What the servers said about the heartbeat; the agent's stop-after-disconnect guard listens. */
export interface HeartbeatObserver {
  /** A grant or renewal sent at `sentAt` was answered; `answer`: what the servers said of the lease (API plane). */
  renewed(sentAt: number, answer?: { ttlSeconds?: number; nodeLostGraceSeconds?: number }): void;
  /** A renewal sent at `sentAt` was answered at `answeredAt`: etcd is unavailable (no quorum). */
  etcdOut(sentAt: number, answeredAt: number): void;
}

/** The heartbeat of the hosted nodes. close() ends it at once (the nodes go NotReady). */
export interface Session {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** List + watch of assignments; start() resolves once the first snapshot was handed over. */
export interface AssignmentSource {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlane {
  readonly statuses: StatusSink;
  readonly usage: UsageSink;
  readonly events: EventSink;
  /** Register (or re-register) one node, and hand over the secret the log endpoint wants. */
  register(reg: Registration, logSecret: string): Promise<void>;
  session(o: SessionOptions): Session;
  assignments(nodes: ReadonlySet<string>, handler: AssignmentHandler, log: Logger): AssignmentSource;
  /** Secrets read from etcd and opened with `cipher` (--etcd), or resolved by the server (--server). */
  secretEnv(cipher: SecretCipher): SecretEnv;
  close(): void;
}
