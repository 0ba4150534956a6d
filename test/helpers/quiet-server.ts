/**
 * A `stowage server` (from the sources) on an etcd of its own where the
 * test holds leadership, so no loop runs and nothing writes on its own:
 * etcd's revision moves only when a request writes. For tests that check
 * that bad requests write nothing, and that no request ends the process.
 *
 *   test ── holds the lease ──► etcd ◄── stowage server (standby, API only)
 */
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { LEADER_PREFIX } from '../../pkg/store/keys.js';
import { startEtcdStore, type EtcdStore } from './etcd-store.js';
import { spawnServer, type ServerProc } from './stowage.js';
import { until } from './wait.js';

export interface QuietServer extends EtcdStore {
  server: ServerProc;
  url: string;
  port: number;
  /** etcd's current revision. */
  revision(): Promise<string>;
  /** Keys written after revision `rev` (those still there), to say what moved it. */
  writtenSince(rev: string): Promise<string[]>;
  /** Whether the server process still runs. */
  alive(): boolean;
  /** Start the server again after it died (once its election key expired, so the revision is still again). */
  respawn(): Promise<void>;
  stop(): Promise<void>;
}

export async function startQuietServer(): Promise<QuietServer> {
  const db = await startEtcdStore();
  // long leases on both sides: a test process or server busy for a few seconds must not hand over leadership
  const holder = new Election(db.client, { ttl: 60, identity: 'test-holder' }, nopLogger);
  const elected = new Promise((r) => holder.once('elected', r));
  await holder.start();
  await elected;
  const q: QuietServer = {
    ...db,
    server: undefined as unknown as ServerProc,
    url: '',
    port: 0,
    revision: async () => String((await db.client.get(`${LEADER_PREFIX}none`).exec()).header.revision),
    writtenSince: async (rev) => {
      const kvs = (await db.client.getAll().prefix('/').exec()).kvs;
      return kvs.filter((kv) => BigInt(String(kv.mod_revision)) > BigInt(rev)).map((kv) => `${kv.key.toString()}@${String(kv.mod_revision)}`);
    },
    alive: () => q.server.child.exitCode === null && q.server.child.signalCode === null,
    respawn: async () => {
      await q.server.stop('SIGKILL');
      await until('the dead server\'s election key to expire', async () => (await db.client.getAll().prefix(LEADER_PREFIX).keys()).length <= 1, 30_000);
      await launch();
    },
    stop: async () => {
      await q.server?.stop();
      await holder.stop();
      db.stop();
    },
  };
  const launch = async () => {
    q.server = await spawnServer(db.etcd.endpoint, ['--lease-ttl', '15'], [], { until: 'leader-known' });
    q.url = q.server.url;
    q.port = Number(new URL(q.url).port);
  };
  try {
    await launch();
  } catch (e) {
    await holder.stop();
    db.stop();
    throw e;
  }
  return q;
}
