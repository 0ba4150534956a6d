/**
 * Catch-up after the whole control plane was down (real etcd and Docker):
 * a job every 2 s with catchUp {windowSeconds: 3, mode: latest}; its only
 * server is killed with -9 for about 10 s (5 slots), then a server starts
 * again on the same etcd. Its first pass:
 *
 *   slots of the outage ──► older than 3 s at that pass ──► Missed OutsideCatchUpWindow
 *                        ├─ inside the window, not the newest ──► Missed LeaderDown (at most one:
 *                        │    two slots of a 2 s schedule fit in a 3 s window)
 *                        └─ the newest ──► runs, once (a container, Succeeded)
 *
 * The expectation is computed from the records and from when that first
 * pass happened (the catch-up run's creationTimestamp), not from guesses
 * about how long the server took to start. No slot of the outage is left
 * without a run or a record, and none ran twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, JobRun } from '../../pkg/api/types.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { ensureDocker, testNodeName } from '../helpers/docker.js';
import { call } from '../helpers/http.js';
import { auditSlots, isRecord, keepLogs, readJob, slotMs, summary } from '../helpers/job-slots.js';
import { spawnServer, startCluster, until, type Cluster, type ServerProc } from '../helpers/stowage.js';

const JOB = 'catchup';
const PERIOD = 2000;
const WINDOW = 3000;
const OUTAGE = 10_000;
const JOBKIND = lookupKind('Job')!;
const LOG = ['--log-level', process.env.STOWAGE_LOG_LEVEL ?? 'info'];
const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const created = (r: JobRun) => Date.parse(r.metadata.creationTimestamp!);

describe('jobs e2e: catch-up after the servers were down', () => {
  let c: Cluster;
  let restarted: ServerProc | undefined;
  const node = testNodeName('catchup');

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [node], serverArgs: LOG });
  });
  after(async () => {
    // the servers' whole logs, for a failure (hack/test.sh shows their ends)
    if (c) keepLogs('jobs-catchup', restarted ? [c.server, restarted] : [c.server]);
    await restarted?.stop();
    await c?.stop();
  });

  it('the newest slot inside the window runs once, the older slots of the outage are Missed OutsideCatchUpWindow', async () => {
    const spec = {
      schedule: '*/2 * * * * *',
      image: 'localhost/stowage-busybox:1',
      command: ['true'],
      resources: { cpus: 0.1, mem: 16 },
      concurrencyPolicy: 'Allow',
      catchUp: { windowSeconds: WINDOW / 1000, mode: 'latest' },
      successfulRunsHistoryLimit: 100,
      failedRunsHistoryLimit: 100,
      missedRunsHistoryLimit: 100,
    };
    const r = await call(c.server.url, 'POST', '/api/v1/jobs', { apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: JOB }, spec });
    assert.equal(r.status, 201, r.text);
    const firstSlot = Math.floor(Date.parse((r.json as Job).metadata.creationTimestamp!) / PERIOD) * PERIOD + PERIOD;
    const cursor = async () => Date.parse((await c.store.get<Job>(JOBKIND, 'default', JOB))?.object.status?.lastScheduleTime ?? '') || 0;
    const runs = async () => (await readJob(c.store, JOB)).runs;

    // the job runs: a container of it succeeded
    await until('a run of the job to succeed', async () => (await runs()).some((x) => x.status?.state === 'Succeeded'), 30_000);

    // the only server dies; the outage spans about 5 slots
    await c.server.stop('SIGKILL');
    const killed = Date.now();
    // the outage's length is what this test is about: wait for the clock, nothing else waits here
    await until('the outage to last 10 s', () => Date.now() - killed >= OUTAGE, OUTAGE + 5_000, 200);
    const restartedAt = Date.now();
    restarted = await spawnServer(c.etcd.endpoint, LOG);
    const up = Date.now();

    // the restarted leader's first pass: the earliest JobRun it created
    const catchUp = await until('the restarted leader to run a slot', async () =>
      (await runs()).filter((x) => !isRecord(x) && created(x) >= restartedAt).sort((a, b) => slotMs(a) - slotMs(b))[0], 30_000);
    const pass = created(catchUp);
    const lastSlot = slotMs(catchUp) + 2 * PERIOD;
    await until('two more slots to be handled', async () => (await cursor()) >= lastSlot, 20_000);
    await until(`the catch-up run ${catchUp.metadata.name} to succeed`, async () =>
      (await runs()).find((x) => x.metadata.name === catchUp.metadata.name)?.status?.state === 'Succeeded', 30_000);

    const state = await readJob(c.store, JOB);
    const all = auditSlots(JOB, state, firstSlot, lastSlot, PERIOD);
    // the newest slot the dead leader handled: its runs were made before it died
    const before = state.runs.filter((x) => created(x) < killed);
    const handled = Math.max(...before.map(slotMs));
    const outage = [...all.bySlot.keys()].filter((s) => s > handled && s < slotMs(catchUp)).sort((a, b) => a - b);
    const expectedOutage = (slotMs(catchUp) - handled) / PERIOD - 1;
    const at = (s: number) => all.bySlot.get(s)?.[0];
    const why = (s: number) => `${hhmmss(s)}: ${at(s)?.status?.state} ${at(s)?.status?.reason ?? ''} (${pass - s} ms before the first pass)`;
    console.log(
      `# killed ${hhmmss(killed)}, restart ${hhmmss(restartedAt)}, up ${hhmmss(up)}, first pass ${hhmmss(pass)}; ` +
        `dead leader's last slot ${hhmmss(handled)}, catch-up run ${catchUp.metadata.name} (slot ${hhmmss(slotMs(catchUp))}); ` +
        `outage slots: ${outage.map(why).join(', ')}; all slots ${hhmmss(firstSlot)}..${hhmmss(lastSlot)}: ${summary(all)}`,
    );
    assert.deepEqual(all.problems, [], `exactly-once broken:\n${all.problems.join('\n')}`);

    // the catch-up run: the newest slot due at the first pass, late but inside the window, run once
    assert.ok(slotMs(catchUp) <= pass && pass - slotMs(catchUp) < PERIOD + 1000, `the catch-up run's slot ${hhmmss(slotMs(catchUp))} is the newest due at the first pass ${hhmmss(pass)}`);
    assert.ok(slotMs(catchUp) > killed, 'the catch-up slot came after the kill');
    assert.deepEqual(all.bySlot.get(slotMs(catchUp))?.map((x) => x.status?.state), ['Succeeded']);
    const catchUpTasks = state.tasks.filter((t) => t.spec.owner === `jobrun/${catchUp.metadata.name}`);
    assert.equal(catchUpTasks.length, 1, `one task for the catch-up slot: ${JSON.stringify(catchUpTasks.map((t) => ({ name: t.metadata.name, created: t.metadata.creationTimestamp, status: t.status })))}`);

    // every slot of the outage before it has a record, made at the first pass, and says why
    assert.equal(outage.length, expectedOutage, `every slot between ${hhmmss(handled)} and ${hhmmss(slotMs(catchUp))} has a JobRun`);
    assert.ok(outage.length >= 4, `the outage spans several slots (${outage.length})`);
    let leaderDown = 0;
    for (const s of outage) {
      const x = at(s)!;
      assert.equal(x.status?.state, 'Missed', why(s));
      assert.ok(created(x) >= restartedAt, `${x.metadata.name} was recorded by the restarted leader`);
      if (x.status?.reason === 'LeaderDown') {
        // inside the window but not the newest: allowed once, for the slot just before the catch-up run
        leaderDown++;
        assert.equal(s, slotMs(catchUp) - PERIOD, `only the slot before the catch-up run can be LeaderDown: ${why(s)}`);
        assert.ok(pass - s <= WINDOW + 500, `LeaderDown only inside the window: ${why(s)}`);
      } else {
        assert.equal(x.status?.reason, 'OutsideCatchUpWindow', why(s));
        assert.ok(pass - s > WINDOW, `OutsideCatchUpWindow only outside the window: ${why(s)}`);
      }
    }
    assert.ok(leaderDown <= 1, `at most one LeaderDown (${leaderDown})`);
  });
});
