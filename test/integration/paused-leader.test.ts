/**
 * A paused leader steps down and writes nothing (real etcd, two real
 * `stowage server` processes, lease TTL 2 s, a sim agent with a service of 4).
 *
 *   A leads, B stands by ── service "web" (4 tasks Running; their uids noted)
 *   SIGSTOP A (past its TTL) ──► B leads, its loops log their first reconcile
 *   SIGCONT A ──► A logs it lost leadership, its leader loops stop (no loop
 *                 line after that);
 *                 A's term token is fenced in etcd; exactly one leader
 *
 * Across it all no task spec is written (none created, none killed) and the
 * 4 uids are the same: a failover alone replaces nothing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IWatchResponse, Watcher } from 'etcd3';
import { isApiError } from '../../pkg/api/errors.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { specPrefix } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { Txn } from '../../pkg/store/txn.js';
import type { AgentProc } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { applyService, isLeader, leaderKey, linesSince, runningUids, serverOf, spawnSimAgent } from '../helpers/failover.js';
import { spawnServer, until, type ServerProc } from '../helpers/stowage.js';

const TASK = lookupKind('Task')!;

describe('a paused leader (real etcd, two servers, lease TTL 2 s)', () => {
  let etcd: TestEtcd | undefined;
  const servers: ServerProc[] = [];
  let agent: AgentProc | undefined;
  after(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGCONT');
      await s.stop('SIGKILL').catch(() => undefined);
    }
    await agent?.stop('SIGKILL').catch(() => undefined);
    etcd?.stop();
  });

  it('cannot write once resumed, steps down, stops its loops; one leader; no task replaced', async () => {
    etcd = await startEtcd();
    const client = newEtcdClient({ endpoints: etcd.endpoint });
    const store = new Store(client);
    let w: Watcher | undefined;
    try {
      // debug: the first server (the leader) logs every reconcile it completes
      servers.push(await spawnServer(etcd.endpoint, ['--log-level', 'debug']));
      servers.push(await spawnServer(etcd.endpoint, [], [], { until: 'leader-known' }));
      await until('a leader key', () => leaderKey(client), 15_000);
      agent = await spawnSimAgent(etcd.endpoint);
      await applyService(servers[0]!.url, 'web', 4);
      const before = await until('4 tasks Running', () => runningUids(store, 'web', 4), 30_000, 100);

      // From here on, no task spec may be written: a create or a kill would be one.
      const specWrites: string[] = [];
      w = await client.watch().prefix(specPrefix(TASK)).create();
      w.on('data', (r: IWatchResponse) => {
        for (const e of r.events) specWrites.push(`${e.type} ${e.kv.key.toString()}`);
      });

      // who leads is read only now: on a loaded machine a lease of 2 s can lapse before the pause,
      // and the pause must hit the leader of the moment
      const token = (await leaderKey(client))!;
      const a = serverOf(servers, token?.identity);
      assert.ok(a, `the leader ${token?.identity} is one of the servers`);
      const b = servers.find((s) => s !== a)!;
      const pausedAt = Date.now();
      a.child.kill('SIGSTOP');
      await until('B to lead', async () => (await isLeader(b)) === true, 20_000, 100);
      const takeover = await until('B\'s services loop to reconcile as leader', () => linesSince(b, pausedAt, (l) => l.message === 'first reconcile after takeover' && l.loop === 'services')[0], 20_000, 100);
      assert.equal(typeof takeover.tookMs, 'number');
      assert.equal(typeof takeover.sinceElectedMs, 'number');
      const next = await leaderKey(client);
      assert.notEqual(next?.key, token.key, 'a new term');
      assert.equal(serverOf(servers, next?.identity), b);

      const resumedAt = Date.now();
      a.child.kill('SIGCONT');
      await until('A to say it lost leadership', () => linesSince(a, resumedAt, (l) => l.message === 'no longer leader').length > 0, 15_000, 100);
      await until('A\'s leader loops to stop', () => linesSince(a, resumedAt, (l) => l.message === 'leader loops stopped').length > 0, 15_000, 100);
      assert.equal(await isLeader(a), false, 'A says it does not lead');
      if (process.env.FAILOVER_DEBUG) console.log(linesSince(a, resumedAt, () => true).map((l) => JSON.stringify(l)).join('\n'));

      // Any write A's term could still send carries its fence: etcd refuses it.
      await assert.rejects(
        new Txn(client).fence(token).put(`${specPrefix(TASK, 'default')}late`, '{}').commit(),
        (e: unknown) => isApiError(e, 'Fenced'),
      );
      // Resumed, A's loops may still finish reconciles queued before the pause
      // (in etcd its term is over: whatever they would write carries the fence
      // above); once its loops stopped, none runs.
      const stoppedAt = Date.parse(String(linesSince(a, resumedAt, (l) => l.message === 'leader loops stopped')[0]!.timestamp));
      const late = linesSince(a, stoppedAt + 1, (l) => typeof l.loop === 'string' && l.message !== 'write refused: no longer leader');
      assert.deepEqual(late, [], 'no loop of A runs after its loops stopped');

      // Exactly one leader: B, as etcd and both servers say, for a few samples in a row.
      for (let i = 0; i < 5; i++) {
        const [la, lb, k]: [boolean | undefined, boolean | undefined, Awaited<ReturnType<typeof leaderKey>>] = await Promise.all([isLeader(a), isLeader(b), leaderKey(client)]);
        assert.deepEqual([la, lb, serverOf(servers, k?.identity)?.url], [false, true, b.url]);
      }

      const afterUids = await until('4 tasks Running', () => runningUids(store, 'web', 4), 15_000, 100);
      assert.deepEqual(afterUids, before, 'the same tasks');
      assert.deepEqual(specWrites, [], 'no task created or killed because of the failover');
    } finally {
      // an open watch would keep the client (and this file) alive after a failure
      await w?.cancel().catch(() => undefined);
      client.close();
    }
  });
});
