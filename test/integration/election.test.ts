import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Etcd3 } from 'etcd3';
import type { Fence } from '../../pkg/store/txn.js';
import { Election } from '../../pkg/election/election.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { isApiError } from '../../pkg/api/errors.js';
import type { AnyResource } from '../../pkg/api/types.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

const elapsed = async (f: () => Promise<unknown>): Promise<number> => {
  const t0 = Date.now();
  await f();
  return Date.now() - t0;
};

const NS = lookupKind('namespace')!;
const CANDIDATE = fileURLToPath(new URL('../helpers/candidate.ts', import.meta.url));
const ns = (name: string): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name }, spec: { weight: 1 } });


describe('leader election with fencing (real etcd)', () => {
  let etcd: TestEtcd;
  const clients: Etcd3[] = [];
  const elections: Election[] = [];
  const children: ChildProcess[] = [];
  const client = () => {
    const c = newEtcdClient({ endpoints: etcd.endpoint });
    clients.push(c);
    return c;
  };
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(elections.map((e) => e.stop().catch(() => undefined)));
    for (const c of clients) c.close();
    etcd.stop();
  });

  it('elects exactly one of two candidates; the standby takes over within TTL + 1 s of a kill -9; the dead leader\'s fence is refused', async () => {
    // the first candidate runs in its own process so it can really die
    const child = spawn(process.execPath, ['--import', 'tsx', CANDIDATE, etcd.endpoint, 'one', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const fence = await new Promise<Fence>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n')[0];
        if (buf.includes('\n')) resolve((JSON.parse(line!) as { fence: Fence }).fence);
      });
      child.on('exit', (c) => reject(new Error(`candidate exited ${c}`)));
    });
    const standby = new Election(client(), { ttl: 2, identity: 'two' }, nopLogger);
    elections.push(standby);
    await standby.start();
    await until('standby to see the leader', () => standby.leader !== undefined, 5000);
    assert.equal(standby.isLeader, false, 'exactly one leader');
    assert.equal(standby.leader?.identity, 'one');

    const store = new Store(client());
    await store.create(NS, ns('by-leader'), { fence });

    child.kill('SIGKILL');
    const took = await elapsed(() => until('standby to lead', () => standby.isLeader, 5000));
    assert.ok(took <= 3000, `took over in ${took} ms, want <= TTL 2 s + 1 s`);
    assert.equal(standby.leader?.identity, 'two');

    // a late write with the dead leader's token fails and writes nothing
    await assert.rejects(store.create(NS, ns('by-old-leader'), { fence }), (e) => isApiError(e, 'Fenced'));
    assert.equal(await store.get(NS, undefined, 'by-old-leader'), undefined);
    await store.create(NS, ns('by-new-leader'), { fence: standby.fence() });
  });

  it('a leader that stops resigns at once: the standby leads without waiting for the TTL', async () => {
    // the previous test's leader resigns first
    for (const e of elections.splice(0)) await e.stop();
    const a = new Election(client(), { ttl: 10, identity: 'a' }, nopLogger);
    const b = new Election(client(), { ttl: 10, identity: 'b' }, nopLogger);
    elections.push(a, b);
    await a.start();
    await until('a to lead', () => a.isLeader, 5000);
    await b.start();
    await until('b to see a lead', () => b.leader?.identity === 'a', 5000);
    const [first, second] = [a, b];
    await first.stop();
    const took = await elapsed(() => until('second to lead after a resign', () => second.isLeader, 3000));
    assert.ok(took < 1000, `took ${took} ms`);
  });

  it('refuses a TTL below etcd\'s minimum with a message naming the flag', () => {
    assert.throws(() => new Election(client(), { ttl: 1, identity: 'x' }, nopLogger), /--lease-ttl must be a whole number of seconds >= 2/);
  });
});
