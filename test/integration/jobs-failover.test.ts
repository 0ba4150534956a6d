/**
 * Exactly-once slots across two leader failovers (real etcd, real `stowage
 * server` processes, no agent: runs stay Pending, what counts is the JobRuns).
 *
 *   A (leader) + B ── apply job `* * * * * *` (Allow, catch-up 2 s latest)
 *   kill -9 A ──► B leads, C starts          (two servers up again)
 *   kill -9 B ──► C leads, D starts          (within 20 s of the first kill)
 *
 * Then every slot from the first after the job was created to a slot after
 * the second failover settled has exactly one JobRun, named <job>-<slot>:
 * a run with exactly the tasks its status names, or a Missed record (a slot
 * no leader handled in time: LeaderDown inside the catch-up window,
 * OutsideCatchUpWindow before it). Never two, never none, never a run of
 * another name.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { LEADER_PREFIX } from '../../pkg/store/keys.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import type { Job } from '../../pkg/api/types.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { auditSlots, keepLogs, readJob, slotMs, summary } from '../helpers/job-slots.js';
import { spawnServer, until, type ServerProc } from '../helpers/stowage.js';

const JOB = 'tick';
const SECOND = 1000;
const JOBKIND = lookupKind('Job')!;

describe('job slots across two leader failovers (real etcd, real servers)', () => {
  let etcd: TestEtcd | undefined;
  const servers: ServerProc[] = [];
  const pending: Promise<unknown>[] = [];
  after(async () => {
    await Promise.allSettled(pending);
    // the servers' whole logs, for a failure (hack/test.sh shows their ends)
    keepLogs('jobs-failover', servers);
    for (const s of servers) await s.stop('SIGKILL').catch(() => undefined);
    etcd?.stop();
  });

  it('every slot has exactly one run or a Missed record, none twice, none without', async () => {
    etcd = await startEtcd();
    const client = newEtcdClient({ endpoints: etcd.endpoint });
    const store = new Store(client);
    try {
      const start = () => {
        const p = spawnServer(etcd!.endpoint, ['--log-level', process.env.STOWAGE_LOG_LEVEL ?? 'info'], [], { until: 'leader-known' }).then((s) => (servers.push(s), s));
        pending.push(p.catch(() => undefined));
        return p;
      };
      const live = () => servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
      /** The leader as the election key says (lowest create revision), among the live servers, once its /readyz agrees. */
      const leader = async (): Promise<ServerProc | undefined> => {
        const kvs = await client.getAll().prefix(LEADER_PREFIX).sort('Create', 'Ascend').exec();
        const identity = kvs.kvs[0]?.value.toString();
        const s = live().find((x) => identity?.endsWith(`@${x.url.slice('http://'.length)}`));
        if (!s) return undefined;
        const r = await fetch(`${s.url}/readyz`).then((x) => x.json() as Promise<{ isLeader: boolean }>);
        return r.isLeader ? s : undefined;
      };
      const logs = () => servers.map((s, i) => `--- server ${i} (${s.url}):\n${s.output.slice(-12).join('\n')}`).join('\n');

      await Promise.all([start(), start()]);
      const first = await until('a leader', leader, 30_000);

      const spec = {
        schedule: '* * * * * *',
        image: 'localhost/stowage-busybox:1',
        command: ['true'],
        resources: { cpus: 0.01, mem: 8 },
        concurrencyPolicy: 'Allow',
        catchUp: { windowSeconds: 2, mode: 'latest' },
        successfulRunsHistoryLimit: 1000,
        failedRunsHistoryLimit: 1000,
        missedRunsHistoryLimit: 1000,
      };
      const r = await call(first.url, 'POST', '/api/v1/jobs', { apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: JOB }, spec });
      assert.equal(r.status, 201, r.text);
      const created = Date.parse((r.json as Job).metadata.creationTimestamp!);
      const firstSlot = Math.floor(created / SECOND) * SECOND + SECOND;

      const cursor = async () => {
        const j = await store.get<Job>(JOBKIND, 'default', JOB);
        return Date.parse(j?.object.status?.lastScheduleTime ?? '') || 0;
      };
      /** The first run (not a record) created after `since`: the new leader's loop is at work. */
      const runAfter = async (since: number) =>
        (await readJob(store, JOB)).runs
          .filter((x) => x.status?.state === 'Pending' || x.status?.state === 'Running')
          .filter((x) => Date.parse(x.metadata.creationTimestamp!) > since)
          .sort((a, b) => slotMs(a) - slotMs(b))[0];

      await until('the first leader to run three slots', async () => (await cursor()) >= firstSlot + 2 * SECOND, 20_000);

      // failover 1: kill -9 the leader, start another server so two stay up
      const killed1 = Date.now();
      await first.stop('SIGKILL');
      const third = start();
      const second = await until('a second leader', leader, 15_000);
      assert.notEqual(second, first);
      const settled1 = await until('the second leader to run a slot', () => runAfter(killed1), 15_000);

      // failover 2: kill -9 the new leader once the third server stands by
      await third;
      const killed2 = Date.now();
      assert.ok(killed2 - killed1 <= 20_000, `the second kill came ${killed2 - killed1} ms after the first (at most 20 s)\n${logs()}`);
      await second.stop('SIGKILL');
      void start();
      const thirdLeader = await until('a third leader', leader, 15_000);
      const settled2 = await until('the third leader to run a slot', () => runAfter(killed2), 15_000);
      const lastSlot = slotMs(settled2) + 2 * SECOND;
      await until('the cursor to pass the last slot audited', async () => (await cursor()) >= lastSlot, 15_000);
      const leaders = `leaders ${servers.indexOf(first)} -> ${servers.indexOf(second)} -> ${servers.indexOf(thirdLeader)}; second kill ${killed2 - killed1} ms after the first`;

      const state = await readJob(store, JOB);
      const a = auditSlots(JOB, state, firstSlot, lastSlot, SECOND);
      const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
      console.log(
        `# slots ${hhmmss(firstSlot)}..${hhmmss(lastSlot)}: ${summary(a)}; killed at ${hhmmss(killed1)} and ${hhmmss(killed2)}, ` +
          `first runs after them ${settled1.metadata.name} and ${settled2.metadata.name}; ${leaders}`,
      );
      assert.deepEqual(a.problems, [], `exactly-once broken:\n${a.problems.join('\n')}\n${logs()}`);
      assert.equal(a.ran.length + [...a.missed.values()].reduce((n, v) => n + v.length, 0), (lastSlot - firstSlot) / SECOND + 1);
      // a Missed slot is one no leader could handle: a failover (LeaderDown, OutsideCatchUpWindow)
      for (const reason of a.missed.keys()) assert.ok(['LeaderDown', 'OutsideCatchUpWindow'].includes(reason), `Missed for ${reason}`);
    } finally {
      client.close();
    }
  });
});
