/**
 * Jobs end to end, as a user drives them: `stowctl apply -f` of Job
 * manifests, `stowctl job run|suspend|mark-success`, `stowctl logs RUN`, on
 * one real etcd, one `stowage server` (the job timers loop) and one agent
 * running busybox containers on a real Docker engine.
 *
 *   run once ──► one JobRun, Succeeded; a new template runs nothing; `job run` (and --id, once per id)
 *   retries  ──► exit 3 with retries 1: Failed after 2 attempts, 2 tasks
 *   A ─► B ─► C   B fails once (a flaky HTTP server in this process), retries, succeeds; then C
 *   A ─► B ✗  C   C waits (ParentsReady False) until `job mark-success` of B's run
 *   every 2 s, runs of 5 s: Forbid (Skipped Overlap), Replace (Failed Replaced), BufferOne (one waits)
 *
 * Every wait is on a condition. The scheduled jobs catch up every slot
 * (catchUp mode all), so a pass of the loop that comes late on a loaded
 * machine still puts every slot through the concurrency policy instead of
 * recording it Missed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump } from 'js-yaml';
import { JOB_LABEL } from '../../pkg/api/jobs.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { OWNER_LABEL } from '../../pkg/api/labels.js';
import type { Job, JobRun, Task } from '../../pkg/api/types.js';
import { ROOT } from '../helpers/agent.js';
import { ensureDocker, IMAGE, testNodeName } from '../helpers/docker.js';
import { isRecord, keepLogs, slotMs } from '../helpers/job-slots.js';
import { startCluster, stowctl, TASK, until, type Cluster } from '../helpers/stowage.js';
import { sampleEvery } from '../helpers/wait.js';

const JOB = lookupKind('Job')!;
const JOBRUN = lookupKind('JobRun')!;
const EVERY_2S = '*/2 * * * * *';
const ms = (s: string | undefined): number => (s ? Date.parse(s) : NaN);
const ENDED = new Set(['Succeeded', 'Failed', 'Missed', 'Skipped']);
const isActive = (r: JobRun) => !ENDED.has(r.status?.state ?? 'Pending');
/** Real runs (not Missed/Skipped records) in slot order, else creation order. */
const realRuns = (rs: JobRun[]) =>
  rs.filter((r) => !isRecord(r)).sort((a, b) => (ms(a.spec.slot) || ms(a.metadata.creationTimestamp)) - (ms(b.spec.slot) || ms(b.metadata.creationTimestamp)));

/** A Job manifest: busybox, small, quick to kill, and a history long enough that nothing is collected while we look. */
function jobYaml(name: string, spec: Record<string, unknown>): string {
  return dump({
    apiVersion: 'stowage/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      image: IMAGE,
      resources: { cpus: 0.1, mem: 16 },
      killGracePeriodSeconds: 1,
      successfulRunsHistoryLimit: 100,
      failedRunsHistoryLimit: 100,
      missedRunsHistoryLimit: 100,
      ...spec,
    },
  });
}

/** A scheduled job every 2 s whose runs last 5 s (they print their slot first). */
const overlapping = (name: string, concurrencyPolicy: string) =>
  jobYaml(name, {
    schedule: EVERY_2S,
    concurrencyPolicy,
    catchUp: { windowSeconds: 60, mode: 'all' },
    command: ['/bin/sh', '-c', 'echo "slot=$STOWAGE_SLOT"; sleep 5'],
  });

describe('jobs e2e: run once, on demand, retries, parents, concurrency policies (real etcd and Docker)', () => {
  let c: Cluster;
  let dir: string;
  let http: Server | undefined;
  const hits = new Map<string, number>();
  let port = 0;
  let files = 0;

  before(async () => {
    ensureDocker();
    // the built CLI when there is one (`make build`): a stowctl through tsx costs a second a call
    const bin = resolve(ROOT, 'bin/stowctl');
    if (!process.env.STOWCTL_BIN && existsSync(bin)) process.env.STOWCTL_BIN = bin;
    dir = mkdtempSync(join(tmpdir(), 'stowage-jobs-'));
    // What the chained jobs call (containers use host networking): /flaky answers 500 once, then 200; /down always 500.
    http = createServer((req, res) => {
      const n = (hits.get(req.url ?? '') ?? 0) + 1;
      hits.set(req.url ?? '', n);
      const ok = req.url === '/flaky' && n > 1;
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not now\n');
    });
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
    c = await startCluster({ nodes: [testNodeName('jobs')] });
  });
  after(async () => {
    // the server's whole log, for a failure (hack/test.sh shows its end)
    if (c) keepLogs('jobs', [c.server]);
    await c?.stop();
    http?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** stowctl, which must exit 0; its stdout. */
  const ctl = async (...args: string[]): Promise<string> => {
    const r = await stowctl(c.server.url, args);
    assert.equal(r.code, 0, `stowctl ${args.join(' ')}: ${r.err}${r.out}`);
    return r.out;
  };
  const apply = async (...docs: string[]): Promise<string> => {
    const f = join(dir, `jobs-${++files}.yaml`);
    writeFileSync(f, docs.join('---\n'));
    return ctl('apply', '-f', f);
  };
  const getJob = async (name: string) => (await c.store.get<Job>(JOB, 'default', name))?.object;
  const runsOf = async (job: string) => (await c.store.list<JobRun>(JOBRUN, 'default')).items.map((s) => s.object).filter((r) => r.metadata.labels?.[JOB_LABEL] === job);
  const tasksOf = async (run: string) =>
    (await c.store.list<Task>(TASK, 'default')).items
      .map((s) => s.object)
      .filter((t) => t.metadata.labels?.[OWNER_LABEL] === `jobrun/${run}`)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const runEnded = (name: string, timeoutMs = 30_000) =>
    until(`jobrun ${name} ended`, async () => {
      const r = (await c.store.get<JobRun>(JOBRUN, 'default', name))?.object;
      return r && !isActive(r) && r;
    }, timeoutMs, 100);
  /** `stowctl logs RUN`: its newest task's output, once there is some. */
  const logsOf = (run: string) =>
    until(`the output of ${run}`, async () => {
      const r = await stowctl(c.server.url, ['logs', run]);
      if (r.code !== 0) throw new Error(`stowctl logs ${run} exited ${r.code}: ${r.err.trim()}`);
      return r.out.length > 0 && r.out;
    }, 15_000, 200);
  /** Samples a job's runs until stopped: the most runs ever seen active at once. */
  const maxActive = (job: string) => {
    let max = 0;
    const s = sampleEvery(100, async () => {
      const n = (await runsOf(job).catch(() => [])).filter(isActive).length;
      max = Math.max(max, n);
    });
    return { stop: async () => (await s.stop(), max) };
  };
  /** No two runs of the list were ever active at once: as JobRuns (created .. finished) and as containers (started .. finished). */
  const assertNoOverlap = async (runs: JobRun[]) => {
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1]!;
      const next = runs[i]!;
      assert.ok(prev.status?.finishedAt, `${prev.metadata.name} ended before ${next.metadata.name} was created`);
      assert.ok(ms(next.metadata.creationTimestamp) >= ms(prev.status!.finishedAt), `${next.metadata.name} created ${next.metadata.creationTimestamp}, after ${prev.metadata.name} finished ${prev.status!.finishedAt}`);
      const prevTasks = await tasksOf(prev.metadata.name);
      const nextTasks = await tasksOf(next.metadata.name);
      const prevEnd = Math.max(...prevTasks.map((t) => ms(t.status?.finishedAt)));
      for (const t of nextTasks) {
        if (t.status?.startedAt) assert.ok(ms(t.status.startedAt) >= prevEnd, `task ${t.metadata.name} started ${t.status.startedAt}, after the containers of ${prev.metadata.name} ended`);
      }
    }
  };
  /** A run that succeeded at its first attempt made one task, and only one. */
  const assertOneTask = async (run: JobRun) => {
    const one = [`${run.metadata.name}-00000`];
    assert.equal(run.status?.attempts, 1);
    assert.deepEqual(run.status?.tasks, one);
    assert.deepEqual((await tasksOf(run.metadata.name)).map((t) => [t.metadata.name, t.status?.state]), [[one[0], 'Succeeded']]);
  };
  const suspend = async (job: string) => {
    assert.equal(await ctl('job', 'suspend', job), `job/${job} suspended\n`);
    await until(`job ${job} seen suspended by the loop`, async () => (await getJob(job))?.status?.conditions?.some((x) => x.type === 'Suspended' && x.status === 'True'), 15_000, 100);
  };

  it('a job without schedule or parents runs once on apply; a new template does not run it again; job run runs it again, once per --id', async () => {
    await apply(jobYaml('once', { command: ['/bin/sh', '-c', 'echo "job=$STOWAGE_JOB run=$STOWAGE_RUN slot=${STOWAGE_SLOT-unset}."'] }));
    const first = await until('a run of job once, Succeeded', async () => (await runsOf('once')).find((r) => r.status?.state === 'Succeeded'), 30_000, 100);
    assert.deepEqual((await runsOf('once')).map((r) => r.metadata.name), [first.metadata.name], 'one run');
    assert.equal(first.spec.trigger, 'once');
    await assertOneTask(first);
    // the container saw its job, its run, and a slot variable (empty: a run-once is not a slot of a schedule)
    assert.equal(await logsOf(first.metadata.name), `job=once run=${first.metadata.name} slot=.\n`);
    const listed = JSON.parse(await ctl('get', 'jobruns', '-l', `${JOB_LABEL}=once`, '-o', 'json')) as { items: JobRun[] };
    assert.deepEqual(listed.items.map((r) => [r.metadata.name, r.status?.state]), [[first.metadata.name, 'Succeeded']]);

    // a changed template: the loop sees the new generation and starts nothing
    await apply(jobYaml('once', { command: ['/bin/sh', '-c', 'echo "changed run=$STOWAGE_RUN"'] }));
    const gen = (await getJob('once'))!.metadata.generation!;
    assert.ok(gen > 1, 'the apply changed the spec');
    await until('the loop passed over the new template', async () => (await getJob('once'))?.status?.observedGeneration === gen, 15_000, 100);
    assert.deepEqual((await runsOf('once')).map((r) => r.metadata.name), [first.metadata.name], 're-applying does not run it again');

    // job run: a second run, of the job as it is now
    const out = await ctl('job', 'run', 'once');
    const m = /^jobrun\/(once-m[0-9a-f]{9}) created\n$/.exec(out);
    assert.ok(m, out);
    const second = await runEnded(m[1]!);
    assert.equal(second.status?.state, 'Succeeded');
    await assertOneTask(second);
    assert.equal(await logsOf(second.metadata.name), `changed run=${second.metadata.name}\n`);
    assert.equal((await runsOf('once')).length, 2);

    // job run --id K, twice: one run, the same name both times
    const a = await ctl('job', 'run', 'once', '--id', 'ticket-42');
    const b = await ctl('job', 'run', 'once', '--id', 'ticket-42');
    const ma = /^jobrun\/(once-m[0-9a-f]{9}) created\n$/.exec(a);
    const mb = /^jobrun\/(once-m[0-9a-f]{9}) unchanged \(started before with this --id; it is \w+\)\n$/.exec(b);
    assert.ok(ma, a);
    assert.ok(mb, b);
    assert.equal(mb[1], ma[1], 'the same --id names the same run');
    assert.equal((await runEnded(ma[1]!)).status?.state, 'Succeeded');
    const names = (await runsOf('once')).map((r) => r.metadata.name).sort();
    assert.deepEqual(names, [first.metadata.name, second.metadata.name, ma[1]!].sort(), 'three runs in all: once, job run, job run --id twice');
  });

  it('a command that exits 3 with retries 1: Failed after 2 attempts, two tasks, the reason names the exit', async () => {
    await apply(jobYaml('fails', { command: ['/bin/sh', '-c', 'exit 3'], retries: 1, retryBackoffSeconds: 1 }));
    const run = await until('a run of job fails', async () => (await runsOf('fails'))[0], 15_000, 100);
    const ended = await runEnded(run.metadata.name);
    assert.equal(ended.status?.state, 'Failed');
    assert.equal(ended.status?.attempts, 2);
    assert.equal(ended.status?.reason, 'Error');
    assert.match(ended.status?.message ?? '', /exited with code 3/);
    const tasks = await tasksOf(run.metadata.name);
    assert.equal(tasks.length, 2);
    assert.deepEqual(ended.status?.tasks, tasks.map((t) => t.metadata.name));
    for (const t of tasks) assert.deepEqual([t.status?.state, t.status?.exitCode], ['Failed', 3], t.metadata.name);
    assert.equal((await runsOf('fails')).length, 1, 'the retries are attempts of one run');
  });

  it('A -> B -> C: B fails its first attempt and succeeds on its retry; C starts only after B succeeded, triggered by it', async () => {
    const wget = (path: string) => ['/bin/sh', '-c', `wget -q -O- http://127.0.0.1:${port}${path}`];
    await apply(
      jobYaml('chain-c', { parents: ['chain-b'], command: ['/bin/sh', '-c', 'echo c'] }),
      jobYaml('chain-b', { parents: ['chain-a'], command: wget('/flaky'), retries: 1, retryBackoffSeconds: 1 }),
      jobYaml('chain-a', { command: ['/bin/sh', '-c', 'echo a'] }),
    );
    const cRun = await until('a run of chain-c', async () => (await runsOf('chain-c'))[0], 60_000, 100);
    const cEnded = await runEnded(cRun.metadata.name);
    const bRuns = await runsOf('chain-b');
    assert.equal(bRuns.length, 1, 'one run of B (its retry is an attempt of that run)');
    const b = await runEnded(bRuns[0]!.metadata.name);
    const [cTask] = await tasksOf(cRun.metadata.name);
    assert.ok(ms(cTask!.status?.startedAt) >= ms(b.status?.finishedAt), `C's task should start after B's run finished: it started ${cTask!.status?.startedAt}, B finished ${b.status?.finishedAt}`);
    const [aRun] = await runsOf('chain-a');
    assert.deepEqual([b.status?.state, b.status?.attempts, b.spec.triggeredBy], ['Succeeded', 2, [aRun!.metadata.name]]);
    const bTasks = await tasksOf(b.metadata.name);
    assert.deepEqual(bTasks.map((t) => t.status?.state), ['Failed', 'Succeeded'], 'the first attempt failed, the retry succeeded');
    assert.equal(hits.get('/flaky'), 2);
    assert.equal(cEnded.status?.state, 'Succeeded');
    assert.deepEqual(cEnded.status?.triggeredBy, [b.metadata.name], "C's run names B's run");
    assert.equal((await runsOf('chain-c')).length, 1);
  });

  it('A -> B -> C with B out of retries: C does not start; after job mark-success of B\'s run, C runs and succeeds', async () => {
    await apply(
      jobYaml('stuck-c', { parents: ['stuck-b'], command: ['/bin/sh', '-c', 'echo c'] }),
      jobYaml('stuck-b', { parents: ['stuck-a'], command: ['/bin/sh', '-c', `wget -q -O- http://127.0.0.1:${port}/down`], retries: 1, retryBackoffSeconds: 1 }),
      jobYaml('stuck-a', { command: ['/bin/sh', '-c', 'echo a'] }),
    );
    const bRun = await until('a run of stuck-b', async () => (await runsOf('stuck-b'))[0], 60_000, 100);
    const b = await runEnded(bRun.metadata.name);
    assert.deepEqual([b.status?.state, b.status?.attempts], ['Failed', 2]);
    // the loop passed over C after B failed: its ParentsReady condition speaks of B's failed run (False: it waits)
    const cond = await until("stuck-c's ParentsReady condition about B's failed run", async () => {
      const x = (await getJob('stuck-c'))?.status?.conditions?.find((k) => k.type === 'ParentsReady');
      return x && (x.message?.includes('stuck-b Failed') || x.message?.includes(b.metadata.name)) && x;
    }, 15_000, 100);
    assert.deepEqual(await runsOf('stuck-c'), [], 'no run of C while B failed');
    assert.deepEqual([cond.status, cond.reason], ['False', 'Waiting'], cond.message);

    const out = await ctl('job', 'mark-success', b.metadata.name);
    assert.match(out, new RegExp(`jobrun/${b.metadata.name}`));
    const cRun = await until('a run of stuck-c', async () => (await runsOf('stuck-c'))[0], 30_000, 100);
    const cEnded = await runEnded(cRun.metadata.name);
    assert.equal(cEnded.status?.state, 'Succeeded');
    assert.deepEqual(cEnded.status?.triggeredBy, [b.metadata.name]);
    assert.equal((await runsOf('stuck-c')).length, 1);
  });

  it('Forbid, every 2 s, runs of 5 s: the slots that come while a run is active are Skipped Overlap; never two runs at once', async () => {
    const sampler = maxActive('forbid');
    await apply(overlapping('forbid', 'Forbid'));
    let runs: JobRun[] = [];
    try {
      runs = await until('a first run ended and a second one started', async () => {
        const rs = realRuns(await runsOf('forbid'));
        return rs.length >= 2 && !!rs[0]!.status?.finishedAt && !!rs[1]!.status?.startedAt && rs;
      }, 60_000, 200);
    } finally {
      await suspend('forbid');
    }
    assert.equal(await sampler.stop(), 1, 'never two runs active at once');
    const [r0, r1] = runs as [JobRun, JobRun];
    assert.equal(r0.status?.state, 'Succeeded');
    await assertNoOverlap([r0, r1]);
    // every slot between the two runs was handled, and Skipped for Overlap
    const all = new Map((await runsOf('forbid')).map((r) => [slotMs(r), r]));
    const between: JobRun[] = [];
    for (let s = slotMs(r0) + 2000; s < slotMs(r1); s += 2000) {
      const rec = all.get(s);
      assert.ok(rec, `the slot ${new Date(s).toISOString()} has a record`);
      between.push(rec);
    }
    assert.ok(between.length >= 1, `slots came while ${r0.metadata.name} ran`);
    assert.deepEqual(new Set(between.map((r) => `${r.status?.state} ${r.status?.reason}`)), new Set(['Skipped Overlap']));
    // a slot's run sees its slot
    assert.equal(await logsOf(r0.metadata.name), `slot=${slotMs(r0) / 1000}\n`);
  });

  it('Replace, every 2 s, runs of 5 s: the active run is killed (Failed, Replaced) and the new slot\'s run starts', async () => {
    await apply(overlapping('replace', 'Replace'));
    let replaced: JobRun;
    let next: JobRun;
    try {
      let seen: JobRun[] = [];
      [replaced, next] = await until('a run replaced and the next slot\'s run started', async () => {
        const rs = (seen = realRuns(await runsOf('replace')));
        const i = rs.findIndex((r) => r.status?.reason === 'Replaced');
        return i >= 0 && !!rs[i + 1]?.status?.startedAt && ([rs[i]!, rs[i + 1]!] as const);
      }, 60_000, 200).catch((e: Error) => {
        const runs = seen.map((r) => `${r.metadata.name} ${r.status?.state ?? '-'} ${r.status?.reason ?? '-'} started ${r.status?.startedAt ?? '-'} finished ${r.status?.finishedAt ?? '-'}`);
        throw new Error(`${e.message}; the runs:\n${runs.join('\n')}`);
      });
    } finally {
      await suspend('replace');
    }
    assert.equal(replaced.status?.state, 'Failed');
    // the new slot's run did not wait for the old one to end: it came with the kill
    assert.ok(ms(next.metadata.creationTimestamp) <= ms(replaced.status?.finishedAt), `${next.metadata.name} created ${next.metadata.creationTimestamp}, ${replaced.metadata.name} finished ${replaced.status?.finishedAt}`);
    // its container was stopped, not left to finish its 5 s
    const [killed] = await until(`the task of ${replaced.metadata.name} ended`, async () => {
      const ts = await tasksOf(replaced.metadata.name);
      return !!ts[0]?.status?.finishedAt && ts;
    }, 15_000, 100);
    assert.equal(killed!.status?.state, 'Killed', `the container of ${replaced.metadata.name} was killed`);
    assert.ok(ms(killed!.status?.finishedAt) - ms(killed!.status?.startedAt) < 5000, 'killed before its sleep ended');
  });

  it('BufferOne, every 2 s, runs of 5 s: exactly one slot waits and runs once the active run ended; the others are Skipped Overlap', async () => {
    const sampler = maxActive('buffer');
    await apply(overlapping('buffer', 'BufferOne'));
    let runs: JobRun[] = [];
    try {
      runs = await until('a first run ended and the buffered one started', async () => {
        const rs = realRuns(await runsOf('buffer'));
        return rs.length >= 2 && !!rs[0]!.status?.finishedAt && !!rs[1]!.status?.startedAt && rs;
      }, 60_000, 200);
    } finally {
      await suspend('buffer');
    }
    assert.equal(await sampler.stop(), 1, 'never two runs active at once');
    const [r0, r1] = runs as [JobRun, JobRun];
    assert.equal(r0.status?.state, 'Succeeded');
    // the first slot that came while r0 ran waited, and ran after r0 ended
    assert.equal(slotMs(r1), slotMs(r0) + 2000, 'the first slot during the run is the one that waited');
    await assertNoOverlap([r0, r1]);
    // the slots after it, while r0 still ran (a second's margin for a late pass), were Skipped
    const all = new Map((await runsOf('buffer')).map((r) => [slotMs(r), r]));
    const skipped: JobRun[] = [];
    for (let s = slotMs(r1) + 2000; s <= ms(r0.status?.finishedAt) - 1000; s += 2000) {
      const rec = all.get(s);
      assert.ok(rec, `the slot ${new Date(s).toISOString()} has a record`);
      skipped.push(rec);
    }
    assert.ok(skipped.length >= 1, `more slots came while ${r0.metadata.name} ran`);
    assert.deepEqual(new Set(skipped.map((r) => `${r.status?.state} ${r.status?.reason}`)), new Set(['Skipped Overlap']));
  });
});
