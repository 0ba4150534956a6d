/**
 * The production fence for tests that run loops: a real Election on the
 * test's etcd, and the loops run by the real Manager, which starts them
 * with the term's RunContext (fence() throws Fenced once the term is over)
 * when the election is won, stops them when it is lost and starts them
 * again on the next win — exactly as `stowage server` runs them.
 *
 * Two loops meant to race each other (two schedulers) each take their own
 * election prefix, so both lead with a real fence on every write.
 */
import type { Etcd3 } from 'etcd3';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { Manager, termContext, type RunContext, type Runnable } from '../../pkg/manager/manager.js';
import type { Fence } from '../../pkg/store/txn.js';
import { until } from './wait.js';

export interface Leader {
  election: Election;
  /** Step down (revoke the lease) and stop the loops. */
  stop(): Promise<void>;
}

/** Run `loops` as the leader of `prefix` (the default election); resolves once they run. */
export async function runAsLeader(client: Etcd3, loops: Runnable[], prefix?: string, ttl = 5): Promise<Leader> {
  const election = new Election(client, { ttl, identity: 'test', ...(prefix ? { prefix } : {}) }, nopLogger);
  const manager = new Manager(election, nopLogger);
  let started = 0;
  for (const l of loops) {
    manager.add({
      name: l.name,
      leaderOnly: true,
      start: async (ctx) => {
        await l.start(ctx);
        started++;
      },
      stop: () => l.stop(),
    });
  }
  await manager.start();
  await until('the loops to start as leader', () => started >= loops.length, 30_000);
  return { election, stop: () => manager.stop() };
}

/** Win an election and hold the term's context, for tests that drive a loop's context themselves. */
export async function becomeLeader(client: Etcd3, prefix?: string, ttl = 5): Promise<{ ctx: RunContext; token: Fence; election: Election; stop(): Promise<void> }> {
  const election = new Election(client, { ttl, identity: 'test', ...(prefix ? { prefix } : {}) }, nopLogger);
  const elected = new Promise<Fence>((resolve) => election.once('elected', resolve));
  await election.start();
  const token = await elected;
  return { ctx: termContext(election, token), token, election, stop: () => election.stop() };
}
