/**
 * The Manager under a real election: a leader-only runnable that fails to
 * start makes the leader step down (its lease revoked, its term's fence
 * dead) instead of leading with a loop missing; it campaigns again and
 * leads whole once every runnable starts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { Manager, type RunContext, type Runnable } from '../../pkg/manager/manager.js';
import { LEADER_PREFIX } from '../../pkg/store/keys.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import { until } from '../helpers/wait.js';

class Probe implements Runnable {
  readonly leaderOnly = true;
  starts = 0;
  stops = 0;
  ctx: RunContext | undefined;
  constructor(
    readonly name: string,
    private readonly failFirst = false,
  ) {}
  async start(ctx: RunContext): Promise<void> {
    this.starts++;
    if (this.failFirst && this.starts === 1) throw new Error('cannot reach its informers');
    this.ctx = ctx;
  }
  async stop(): Promise<void> {
    this.stops++;
  }
}

describe('manager (real etcd)', () => {
  const e = useEtcdStore();

  it('a leader-only runnable that fails to start: the others stop, the lease is revoked, and the next term starts them all', async () => {
    const election = new Election(e.client, { ttl: 5, identity: 'm' }, nopLogger);
    const manager = new Manager(election, nopLogger);
    const ok = new Probe('ok');
    const flaky = new Probe('flaky', true);
    manager.add(ok);
    manager.add(flaky);
    const keys = async () => (await e.client.getAll().prefix(LEADER_PREFIX).keys()).map(String);
    await manager.start();
    try {
      await until('the failed start to stop the others', () => flaky.starts === 1 && ok.stops === 1, 15_000);
      const first = ok.ctx!;
      assert.throws(() => first.fence(), /Fenced|term of leadership is over/, "the failed term's fence is dead");
      await until('the second term to start every runnable', () => flaky.starts === 2 && ok.starts === 2, 15_000);
      assert.ok(election.isLeader);
      assert.equal((await keys()).length, 1, 'the first term\'s lease was revoked: one candidate key');
      assert.notDeepEqual(ok.ctx!.fence(), undefined);
      assert.throws(() => first.fence(), /term of leadership is over/, 'an old term never comes back');
    } finally {
      await manager.stop();
    }
  });
});
