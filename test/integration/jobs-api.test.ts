/**
 * The jobs subresources of a real `stowage server` on a real etcd: run
 * (by id, once per id; one slot, once per slot), suspend and resume,
 * backfill (twice runs nothing twice), mark-success, and every bad request
 * with its exact answer and nothing written.
 *
 *   test ──HTTP──► stowage server (standby: the test holds leadership) ──► etcd
 *
 * No loop runs, so etcd's revision moves only when a request writes, and
 * the runs stay as the API wrote them. Slot records (Missed, Succeeded, ...)
 * are written straight to etcd, as the job timers loop would.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_LABEL, manualRunName, newJobRun, slotRunName } from '../../pkg/api/jobs.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Job, JobRun, JobRunStatus } from '../../pkg/api/types.js';
import { call, type Answer } from '../helpers/http.js';
import { startQuietServer } from '../helpers/quiet-server.js';
import { stowctl } from '../helpers/stowage.js';
import { use } from '../helpers/use.js';

const JOBRUN = lookupKind('JobRun')!;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('jobs subresources of a real stowage server', () => {
  const q = use(startQuietServer);
  const api = (method: string, path: string, body?: unknown): Promise<Answer> => call(q.url, method, path, body);
  const post = (path: string, body?: unknown) => api('POST', path, body);
  /** An even second well in the past: slots of `*\/2 * * * * *` are base, base + 2 s, ... */
  const base = Math.floor(Date.now() / 2000) * 2000 - 600_000;
  let n = 0;
  let job: Job;

  /** A fresh job per test (its runs are its own): every 2 seconds. */
  const newJob = async (spec: Record<string, unknown> = { schedule: '*/2 * * * * *' }): Promise<Job> => {
    const name = `report-${++n}`;
    const r = await post('/api/v1/jobs', {
      apiVersion: 'stowage/v1', kind: 'Job', metadata: { name },
      spec: { image: 'localhost/stowage-busybox:1', command: ['/bin/sh', '-c', 'echo done'], resources: { cpus: 0.1, mem: 16 }, ...spec },
    });
    assert.equal(r.status, 201, r.text);
    return r.json as Job;
  };
  beforeEach(async () => {
    job = await newJob();
  });

  /** A slot's run as the job timers loop writes it, in this state. */
  const putSlotRun = async (slotMs: number, status: Partial<JobRunStatus> & { state: JobRunStatus['state'] }): Promise<JobRun> => {
    const run = newJobRun(job, { name: slotRunName(job.metadata.name, slotMs), trigger: 'schedule', slot: new Date(slotMs) });
    run.status = { attempts: 0, slot: new Date(slotMs).toISOString(), ...status };
    return (await q.store.create(JOBRUN, run)).object;
  };
  const getRun = async (name: string) => (await q.store.get<JobRun>(JOBRUN, 'default', name))?.object;
  const runsOf = async (j: Job) => (await q.store.list<JobRun>(JOBRUN, 'default')).items.map((s) => s.object).filter((r) => r.metadata.labels?.[JOB_LABEL] === j.metadata.name);

  /** The answer must be this error, and etcd must not have moved. */
  const refused = async (path: string, body: unknown, status: number, message: string, field?: string, rule?: string) => {
    const before = await q.revision();
    const r = await post(path, body);
    assert.equal(r.status, status, r.text);
    assert.equal(r.json.message, message);
    if (field !== undefined) assert.deepEqual({ field: r.json.details[0]?.field, rule: r.json.details[0]?.rule }, { field, rule });
    assert.deepEqual(await q.writtenSince(before), [], 'nothing is written');
  };
  const path = (sub: string) => `/api/v1/jobs/default/${job.metadata.name}/${sub}`;

  describe('run', () => {
    it('no body: a manual run of the job, Pending, labelled with it', async () => {
      const r = await post(path('run'));
      assert.equal(r.status, 201, r.text);
      const run = r.json as JobRun;
      assert.match(run.metadata.name, new RegExp(`^${job.metadata.name}-m[0-9a-f]{9}$`));
      assert.equal(run.metadata.labels?.[JOB_LABEL], job.metadata.name);
      assert.deepEqual({ job: run.spec.job, jobUid: run.spec.jobUid, trigger: run.spec.trigger, image: run.spec.template.image, slot: run.spec.slot }, {
        job: job.metadata.name, jobUid: job.metadata.uid, trigger: 'manual', image: 'localhost/stowage-busybox:1', slot: undefined,
      });
      assert.deepEqual(run.status, { state: 'Pending', attempts: 0 });
      assert.deepEqual((await getRun(run.metadata.name))?.status, { state: 'Pending', attempts: 0 }, 'stored with its status');
      // no id: every request is a run of its own
      const again = await post(path('run'), {});
      assert.equal(again.status, 201);
      assert.notEqual(again.json.metadata.name, run.metadata.name);
    });

    it('the same id twice: one run; the second answers it with 200 and writes nothing', async () => {
      const first = await post(path('run'), { id: 'nightly-2026-01-01', env: { DAY: '2026-01-01' } });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.json.metadata.name, manualRunName(job.metadata.name, 'nightly-2026-01-01'));
      assert.deepEqual(first.json.spec.env, { DAY: '2026-01-01' });
      const before = await q.revision();
      const second = await post(path('run'), { id: 'nightly-2026-01-01', env: { DAY: 'other' } });
      assert.equal(second.status, 200, second.text);
      assert.equal(second.json.metadata.uid, first.json.metadata.uid);
      assert.deepEqual(second.json.spec.env, { DAY: '2026-01-01' }, 'the run the id started, as it was started');
      assert.deepEqual(await q.writtenSince(before), []);
      assert.equal((await runsOf(job)).length, 1);
    });

    it('ten requests with one id at once start one run', async () => {
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(path('run'), { id: 'retried' })));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      assert.equal(new Set(answers.map((a) => a.json.metadata.uid)).size, 1);
      assert.equal((await runsOf(job)).length, 1);
    });

    it('slot: an absent slot is created as a backfill run of that slot', async () => {
      const t = base + 4000;
      const r = await post(path('run'), { slot: iso(t) });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.metadata.name, slotRunName(job.metadata.name, t));
      assert.deepEqual({ trigger: r.json.spec.trigger, slot: r.json.spec.slot }, { trigger: 'backfill', slot: new Date(t).toISOString() });
      assert.deepEqual(r.json.status, { state: 'Pending', slot: new Date(t).toISOString(), attempts: 0 });
      // unix seconds name the same slot: it is there now, and Pending
      await refused(path('run'), { slot: t / 1000 }, 409, `jobrun "${slotRunName(job.metadata.name, t)}" of slot ${iso(t)} is Pending: a slot runs once`, 'slot', 'once');
    });

    it('slot: a Missed or Skipped record becomes a run (status compared and swapped, reason gone)', async () => {
      const missed = await putSlotRun(base, { state: 'Missed', reason: 'StartingDeadlineExceeded', message: 'the leader was down' });
      const skipped = await putSlotRun(base + 2000, { state: 'Skipped', reason: 'Overlap', message: 'report-x was running' });
      for (const [rec, t] of [[missed, base], [skipped, base + 2000]] as const) {
        const r = await post(path('run'), { slot: String(t / 1000) });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.metadata.uid, rec.metadata.uid, 'the same object');
        const want = { state: 'Pending', slot: new Date(t).toISOString(), attempts: 0 };
        assert.deepEqual(r.json.status, want);
        assert.equal(r.json.spec.trigger, 'backfill');
        const stored = await getRun(rec.metadata.name);
        assert.deepEqual(stored?.status, want);
        assert.equal(stored?.metadata.resourceVersion, r.json.metadata.resourceVersion);
      }
    });

    it('slot: a slot that ran or runs is a 409 naming the run and its state', async () => {
      for (const [i, state] of (['Running', 'Succeeded', 'Failed'] as const).entries()) {
        const t = base + 2000 * i;
        await putSlotRun(t, { state, attempts: 1 });
        await refused(path('run'), { slot: iso(t) }, 409, `jobrun "${slotRunName(job.metadata.name, t)}" of slot ${iso(t)} is ${state}: a slot runs once`, 'slot', 'once');
      }
    });

    it('bad requests: 4xx naming the field and the rule, nothing written', async () => {
      const p = path('run');
      await refused(p, [], 400, 'expected no body or a JSON object like {"id": "nightly-2026-01-01", "env": {"NAME": "value"}} or {"slot": "2026-01-01T00:00:00Z"}');
      await refused(p, { ids: 'x' }, 400, 'unknown field "ids" in the body of run: it takes id, env and slot', 'ids', 'additionalProperties');
      await refused(p, { id: '' }, 400, 'id must be a string of 1 to 253 characters, got 0 characters', 'id', 'length');
      await refused(p, { id: 'x'.repeat(254) }, 400, 'id must be a string of 1 to 253 characters, got 254 characters', 'id', 'length');
      await refused(p, { id: 7 }, 400, 'id must be a string of 1 to 253 characters, got a number', 'id', 'length');
      await refused(p, { env: ['A=1'] }, 400, 'env must be an object of NAME: "value" pairs, got a list', 'env', 'type');
      await refused(p, { env: { '1A': 'x' } }, 400, 'env: "1A" is not an environment variable name (a letter or \'_\', then letters, digits, \'_\', \'.\' or \'-\')', 'env.1A', 'envName');
      await refused(p, { env: { A: 1 } }, 400, 'env.A must be a string, got a number', 'env.A', 'type');
      await refused(p, { slot: '2026-01-01T00:00:00' }, 400, 'slot must be an ISO 8601 date-time with a zone (such as 2026-12-01T00:00:00Z) or unix seconds, got "2026-01-01T00:00:00"', 'slot', 'instant');
      await refused(p, { slot: iso(base), id: 'x' }, 400, 'id cannot be given with slot: the run of a slot is named by its slot', 'id', 'exclusive');
      await refused(p, { slot: iso(base), env: { A: '1' } }, 400, "env cannot be given with slot: the run of a slot runs with the job's own environment", 'env', 'exclusive');
      await refused(p, { slot: iso(base + 1000) }, 422, `slot ${iso(base + 1000)} is not a slot of job "${job.metadata.name}" (every 2 seconds); the next slot after it is ${iso(base + 2000)}`, 'slot', 'slot');
      const future = Math.ceil(Date.now() / 2000) * 2000 + 600_000;
      const r = await post(p, { slot: iso(future) });
      assert.equal(r.status, 422);
      assert.match(r.json.message, new RegExp(`^slot ${iso(future)} is still to come \\(it is .* now\\): it runs on its own at its time$`));
      await refused('/api/v1/jobs/default/absent/run', { id: 'x' }, 404, 'job "absent" not found in namespace "default"');
      job = await newJob({ parents: ['extract'] });
      await refused(path('run'), { slot: iso(base) }, 400, `job "${job.metadata.name}" has no schedule, so it has no slots to run: run it without a slot`, 'slot', 'schedule');
    });
  });

  describe('suspend and resume', () => {
    it('suspend with a note, the same again writes nothing, resume removes the note', async () => {
      const s = await post(path('suspend'), { note: 'until the migration is done' });
      assert.equal(s.status, 200, s.text);
      assert.deepEqual({ suspend: s.json.spec.suspend, note: s.json.spec.suspendNote, generation: s.json.metadata.generation }, { suspend: true, note: 'until the migration is done', generation: 2 });
      const before = await q.revision();
      const again = await post(path('suspend'), { note: 'until the migration is done' });
      assert.equal(again.status, 200);
      assert.deepEqual(await q.writtenSince(before), [], 'already so: nothing written');
      const bare = await post(path('suspend'));
      assert.equal(bare.json.spec.suspendNote, undefined, 'a suspend without a note leaves none');
      const r = await post(path('resume'), {});
      assert.equal(r.status, 200, r.text);
      assert.deepEqual({ suspend: r.json.spec.suspend, note: r.json.spec.suspendNote }, { suspend: false, note: undefined });
      const stored = await api('GET', `/api/v1/jobs/default/${job.metadata.name}`);
      assert.equal(stored.json.spec.suspend, false);
      assert.equal(stored.json.metadata.resourceVersion, r.json.metadata.resourceVersion);
    });

    it('bad requests: 4xx naming the field, nothing written', async () => {
      await refused(path('suspend'), { note: 'x'.repeat(1025) }, 400, 'note must be a string of 1 to 1024 characters, got 1025 characters', 'note', 'length');
      await refused(path('suspend'), { note: true }, 400, 'note must be a string of 1 to 1024 characters, got a boolean', 'note', 'length');
      await refused(path('suspend'), { reason: 'x' }, 400, 'unknown field "reason" in the body of suspend: it takes note', 'reason', 'additionalProperties');
      await refused(path('resume'), { note: 'x' }, 400, 'unknown field "note" in the body of resume: it takes no fields', 'note', 'additionalProperties');
      await refused('/api/v1/jobs/default/absent/suspend', {}, 404, 'job "absent" not found in namespace "default"');
    });
  });

  describe('backfill', () => {
    it('each slot of [from, to]: created, restarted or unchanged; twice runs nothing twice', async () => {
      await putSlotRun(base + 2000, { state: 'Missed', reason: 'StartingDeadlineExceeded' });
      await putSlotRun(base + 4000, { state: 'Succeeded', attempts: 1, reason: 'Completed' });
      const r = await post(path('backfill'), { from: iso(base), to: String((base + 6000) / 1000) });
      assert.equal(r.status, 200, r.text);
      const name = (t: number) => slotRunName(job.metadata.name, t);
      const slot = (t: number) => new Date(t).toISOString();
      assert.deepEqual(r.json.runs, [
        { name: name(base), slot: slot(base), action: 'created', state: 'Pending' },
        { name: name(base + 2000), slot: slot(base + 2000), action: 'restarted', state: 'Pending' },
        { name: name(base + 4000), slot: slot(base + 4000), action: 'unchanged', state: 'Succeeded' },
        { name: name(base + 6000), slot: slot(base + 6000), action: 'created', state: 'Pending' },
      ]);
      assert.equal((await getRun(name(base)))?.spec.trigger, 'backfill');
      const before = await q.revision();
      const again = await post(path('backfill'), { from: base / 1000, to: (base + 6000) / 1000 });
      assert.equal(again.status, 200);
      assert.deepEqual(again.json.runs.map((x: { action: string }) => x.action), ['unchanged', 'unchanged', 'unchanged', 'unchanged']);
      assert.deepEqual(await q.writtenSince(before), [], 'a second backfill writes nothing');
      assert.equal((await runsOf(job)).length, 4);
    });

    it('two backfills of one range at once: each slot once', async () => {
      const body = { from: iso(base), to: iso(base + 198_000) };
      const [a, b] = await Promise.all([post(path('backfill'), body), post(path('backfill'), body)]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      const created = [...a.json.runs, ...b.json.runs].filter((x: { action: string }) => x.action === 'created').length;
      assert.equal(created, 100, 'each of the 100 slots created by one of the two');
      assert.equal((await runsOf(job)).length, 100);
    });

    it('a range with no slot: no runs', async () => {
      const r = await post(path('backfill'), { from: iso(base + 1000), to: iso(base + 1000) });
      assert.deepEqual({ status: r.status, json: r.json }, { status: 200, json: { runs: [] } });
    });

    it('bad requests: 4xx naming the field, nothing written', async () => {
      const p = path('backfill');
      await refused(p, {}, 400, 'from is required: the oldest instant of the range to backfill (ISO 8601 or unix seconds)', 'from', 'required');
      await refused(p, { from: iso(base) }, 400, 'to is required: the newest instant of the range to backfill (ISO 8601 or unix seconds)', 'to', 'required');
      await refused(p, { from: iso(base), to: 'now' }, 400, 'to must be an ISO 8601 date-time with a zone (such as 2026-12-01T00:00:00Z) or unix seconds, got "now"', 'to', 'instant');
      await refused(p, { from: iso(base), to: iso(base), slot: 1 }, 400, 'unknown field "slot" in the body of backfill: it takes from and to', 'slot', 'additionalProperties');
      await refused(p, { from: iso(base + 2000), to: iso(base) }, 422, `from ${iso(base + 2000)} is after to ${iso(base)}: the range runs from the older instant to the newer`, 'from', 'order');
      const from = base - 2000 * 1000;
      await refused(p, { from: iso(from), to: iso(base) }, 422, `the range from ${iso(from)} to ${iso(base)} holds more than 1000 slots of job "${job.metadata.name}": backfill at most 1000 at a time`, 'to', 'maxSlots');
      await refused('/api/v1/jobs/default/absent/backfill', { from: iso(base), to: iso(base) }, 404, 'job "absent" not found in namespace "default"');
      job = await newJob({});
      await refused(path('backfill'), { from: iso(base), to: iso(base) }, 400, `job "${job.metadata.name}" has no schedule, so it has no slots to backfill`, 'from', 'schedule');
    });
  });

  describe('mark-success', () => {
    const mark = (name: string, body?: unknown) => post(`/api/v1/jobruns/default/${name}/mark-success`, body);

    it('a Failed run becomes Succeeded, reason MarkedSuccess; again: 200, nothing written', async () => {
      const run = await putSlotRun(base, { state: 'Failed', attempts: 3, reason: 'Error', message: 'exit code 1', finishedAt: iso(base + 5000) });
      const r = await mark(run.metadata.name);
      assert.equal(r.status, 200, r.text);
      const want = {
        state: 'Succeeded', slot: new Date(base).toISOString(), attempts: 3, reason: 'MarkedSuccess', markedSuccess: true, finishedAt: iso(base + 5000),
        message: 'marked succeeded by a user; it had failed (Error: exit code 1)',
      };
      assert.deepEqual(r.json.status, want);
      assert.deepEqual((await getRun(run.metadata.name))?.status, want);
      const before = await q.revision();
      const again = await mark(run.metadata.name, {});
      assert.equal(again.status, 200);
      assert.deepEqual(again.json.status, want);
      assert.deepEqual(await q.writtenSince(before), []);
    });

    it('any state but Failed or Succeeded: 409 naming it; a missing run: 404; a body with fields: 400', async () => {
      for (const [i, state] of (['Pending', 'Running', 'Missed', 'Skipped'] as const).entries()) {
        const run = await putSlotRun(base + 2000 * i, { state });
        await refused(`/api/v1/jobruns/default/${run.metadata.name}/mark-success`, {}, 409, `jobrun "${run.metadata.name}" is ${state}: only a Failed run can be marked succeeded`, 'status.state', 'Failed');
      }
      await refused('/api/v1/jobruns/default/absent/mark-success', undefined, 404, 'jobrun "absent" not found in namespace "default"');
      const run = await putSlotRun(base + 10_000, { state: 'Failed' });
      await refused(`/api/v1/jobruns/default/${run.metadata.name}/mark-success`, { force: true }, 400, 'unknown field "force" in the body of mark-success: it takes no fields', 'force', 'additionalProperties');
    });
  });

  describe('stowctl against it', () => {
    it('job run --id twice, run --slot, backfill twice, suspend --note, resume, mark-success, get and describe', async () => {
      const j = job.metadata.name;
      const ctl = async (...args: string[]) => {
        const r = await stowctl(q.url, args);
        assert.equal(r.code, 0, `stowctl ${args.join(' ')}: ${r.err}`);
        return r.out;
      };
      const manual = manualRunName(j, 'nightly');
      assert.equal(await ctl('job', 'run', j, '--id', 'nightly', '--env', 'DAY=1'), `jobrun/${manual} created\n`);
      assert.equal(await ctl('job', 'run', `job/${j}`, '--id', 'nightly'), `jobrun/${manual} unchanged (started before with this --id; it is Pending)\n`);
      await putSlotRun(base, { state: 'Missed', reason: 'StartingDeadlineExceeded' });
      assert.equal(await ctl('job', 'run', j, '--slot', iso(base)), `jobrun/${slotRunName(j, base)} restarted (slot ${iso(base)} had not run)\n`);
      const want = (action: string) => `jobrun/${slotRunName(j, base)} unchanged (slot ${iso(base)}, Pending)\njobrun/${slotRunName(j, base + 2000)} ${action} (slot ${iso(base + 2000)}${action === 'unchanged' ? ', Pending' : ''})\n`;
      assert.equal(await ctl('job', 'backfill', j, '--from', String(base / 1000), '--to', iso(base + 2000)), want('created'));
      assert.equal(await ctl('job', 'backfill', j, '--from', String(base / 1000), '--to', iso(base + 2000)), want('unchanged'));
      assert.equal(await ctl('job', 'suspend', j, '--note', 'until Monday'), `job/${j} suspended\n`);
      assert.match(await ctl('get', 'jobs', j), new RegExp(`^NAME +SCHEDULE +SUSPEND +ACTIVE +LAST RUN +LAST RESULT +NEXT RUN\\n${j} +\\*/2 \\* \\* \\* \\* \\* +True +0 +<none> +<none> +<suspended>\\n$`));
      assert.match(await ctl('describe', 'job', j), /\n  Suspend: +True \(until Monday\)\n/);
      assert.equal(await ctl('job', 'resume', j), `job/${j} resumed\n`);
      const failed = await putSlotRun(base + 4000, { state: 'Failed', attempts: 1, reason: 'Error' });
      assert.equal(await ctl('job', 'mark-success', failed.metadata.name), `jobrun/${failed.metadata.name} marked succeeded\n`);
      const runs = await ctl('get', 'jobruns', '-l', `stowage/job=${j}`);
      assert.match(runs, /^NAME +STATE +SLOT +LATENESS +DURATION +ATTEMPTS\n/);
      assert.match(runs, new RegExp(`\\n${failed.metadata.name} +Succeeded +${iso(base + 4000)} +<none> +<none> +1\\n`));
      assert.equal(runs.trim().split('\n').length, 1 + 4, 'the manual run, two slot runs and the marked one');
      const bad = await stowctl(q.url, ['job', 'run', j, '--slot', iso(base + 1000)]);
      assert.deepEqual({ code: bad.code, err: bad.err }, {
        code: 1,
        err: `error: slot ${iso(base + 1000)} is not a slot of job "${j}" (every 2 seconds); the next slot after it is ${iso(base + 2000)}\n  slot: ${iso(base + 1000)} is not a slot of the schedule\n`,
      });
    });
  });
});
