/**
 * No request ends `stowage server` or `stowage agent`, none gets a 5xx, and
 * no invalid one writes: a property-based fuzz (fast-check) of raw bytes
 * over TCP against the real processes.
 *
 *   fast-check ──raw bytes──► stowage server (child, from sources) ──► etcd
 *                             (a standby: the test holds leadership, so
 *                              only a request could move etcd's revision)
 *   after each request: the process runs and /healthz answers; no status
 *   was a 5xx; every error the server wrote is {code, message, details[]};
 *   etcd's revision has not moved (every body generated is invalid, see
 *   test/helpers/fuzz-requests.ts, and the first test proves it is).
 *
 * Then the same against the agent's endpoint (`--driver sim`, one task
 * running, so its log route streams). Budget: STOWAGE_FUZZ_MS (default
 * 20000 for the server, a quarter for the agent). A failure prints the seed
 * and path; STOWAGE_FUZZ_SEED and STOWAGE_FUZZ_PATH replay it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateObject } from '../../pkg/api/validate.js';
import { agentSecretKey } from '../../pkg/store/keys.js';
import { spawnAgent, createAndBind, newTask, waitForTask, type AgentProc } from '../helpers/agent.js';
import { freePort } from '../helpers/etcd.js';
import { startEtcdStore } from '../helpers/etcd-store.js';
import { agentRequest, apiRequest, EXISTING, POISONS, show, VALID, type FuzzRequest } from '../helpers/fuzz-requests.js';
import { call } from '../helpers/http.js';
import { startQuietServer } from '../helpers/quiet-server.js';
import { sendRaw, type RawAnswer } from '../helpers/raw-http.js';
import { use } from '../helpers/use.js';
import { until } from '../helpers/wait.js';

const BUDGET_MS = Number(process.env.STOWAGE_FUZZ_MS ?? 20_000);
const replay = {
  ...(process.env.STOWAGE_FUZZ_SEED ? { seed: Number(process.env.STOWAGE_FUZZ_SEED) } : {}),
  ...(process.env.STOWAGE_FUZZ_PATH ? { path: process.env.STOWAGE_FUZZ_PATH } : {}),
};

/** What is wrong with an answer: a 5xx, or an error not in the API's shape. */
function answerProblems(r: FuzzRequest, a: RawAnswer): string[] {
  const out: string[] = [];
  for (const s of a.statuses) if (s >= 500) out.push(`answered ${s}`);
  const h = a.head;
  if (h && h.status >= 400) {
    if (!/^application\/json/.test(h.headers['content-type'] ?? '')) out.push(`a ${h.status} without a JSON body (content-type ${h.headers['content-type'] ?? 'none'})`);
    else if (a.body !== undefined && r.method !== 'HEAD') {
      let e: { code?: unknown; message?: unknown; details?: unknown } | undefined;
      try {
        e = JSON.parse(a.body) as typeof e;
      } catch {
        out.push(`a ${h.status} whose body is not JSON: ${a.body.slice(0, 200)}`);
      }
      if (e && (typeof e.code !== 'string' || typeof e.message !== 'string' || e.message === '' || !Array.isArray(e.details))) {
        out.push(`a ${h.status} not in the error shape {code, message, details[]}: ${a.body.slice(0, 200)}`);
      }
    }
  }
  return out;
}

/** GET /healthz on a fresh connection; true when it answers 200 "ok". */
async function healthy(base: string): Promise<boolean> {
  const r = await call(base, 'GET', '/healthz', undefined, { timeoutMs: 5000 }).catch(() => undefined);
  return r?.status === 200 && r.text === 'ok\n';
}

/** Tally of first statuses (or "closed" / "no answer"), to show what the fuzz reached. */
function tally(counts: Map<string, number>, a: RawAnswer): void {
  const k = a.head ? String(a.head.status) : a.closedByServer ? 'closed' : 'no answer';
  counts.set(k, (counts.get(k) ?? 0) + 1);
}

async function runFuzz(name: string, arb: fc.Arbitrary<FuzzRequest>, budgetMs: number, property: (r: FuzzRequest) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  const details = await fc.check(fc.asyncProperty(arb, property), { ...replay, numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(budgetMs)] });
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details)}\n\nThe failure: ${cause}`);
  }
  process.stdout.write(`# ${name}: ${details.numRuns} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${details.seed})\n`);
  // a fuzz that ran a handful of requests proved nothing
  assert.ok(details.numRuns >= 30, `only ${details.numRuns} requests ran in ${budgetMs} ms`);
}

describe('fuzz: raw requests against a real stowage server', () => {
  const q = use(startQuietServer);

  it('every poison makes every resource invalid (so no generated body may be written)', () => {
    for (const [kind, make] of Object.entries(VALID)) {
      for (const name of ['fz-web', 'fz-new']) {
        assert.doesNotThrow(() => validateObject(make(name)), `${kind} ${name} unpoisoned is valid`);
        for (const [poison, apply] of Object.entries(POISONS)) {
          const o = make(name);
          apply(o);
          assert.throws(() => validateObject(o), `${kind} ${name} with "${poison}" must be invalid`);
        }
      }
    }
  });

  it('no request ends the process, gets a 5xx, or writes', async () => {
    const created = await Promise.all([
      call(q.url, 'POST', '/api/v1/services', VALID.Service!('fz-web')),
      call(q.url, 'POST', '/api/v1/nodes', VALID.Node!('fz-node')),
      call(q.url, 'POST', '/api/v1/tasks', VALID.Task!('fz-pending')),
    ]);
    for (const c of created) assert.equal(c.status, 201, c.text);
    for (const path of Object.values(EXISTING)) assert.equal((await call(q.url, 'GET', path)).status, 200, path);
    let before = await q.revision();
    const counts = new Map<string, number>();
    await runFuzz('server', apiRequest, BUDGET_MS, async (r) => {
      if (!q.alive()) {
        // shrinking after a crash: every candidate gets a live server
        await q.respawn();
        before = await q.revision();
      }
      const a = await sendRaw(q.port, r.bytes, r.delivery, { waitMs: r.waitMs, head: r.method === 'HEAD' });
      tally(counts, a);
      const problems = answerProblems(r, a);
      if (!(await healthy(q.url))) {
        // a dying process may still take a moment to exit
        await until('the server to exit or answer', async () => !q.alive() || (await healthy(q.url)), 10_000).catch(() => undefined);
        problems.push(q.alive() ? '/healthz does not answer' : `the server exited (${q.server.child.exitCode ?? q.server.child.signalCode}):\n${q.server.output.slice(-15).join('\n')}`);
      }
      const after = q.alive() ? await q.revision() : before;
      if (after !== before) problems.push(`etcd's revision moved from ${before} to ${after}: written ${(await q.writtenSince(before)).join(', ') || '(deletes only)'}`);
      if (problems.length > 0) throw new Error(`${problems.join('\n')}\nrequest: ${show(r)}\nanswer: ${JSON.stringify(a.text.slice(0, 500))}`);
    });
    process.stdout.write(`# server answers: ${JSON.stringify(Object.fromEntries([...counts].sort()))}\n`);
    // every connection was hung up: no watch stream may stay open
    const streams = async () => Number(/^stowage_api_watch_streams (\d+)$/m.exec((await call(q.url, 'GET', '/metrics')).text)?.[1] ?? 'NaN');
    await until('every watch stream to close', async () => (await streams()) === 0, 10_000);
  });
});

describe('fuzz: raw requests against a real stowage agent (--driver sim)', () => {
  const db = use(startEtcdStore);
  let agent: AgentProc | undefined;
  let base = '';
  let port = 0;

  it('no request ends the agent or gets a 5xx', async (t) => {
    t.after(() => agent?.stop());
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    agent = await spawnAgent(['--etcd', db.etcd.endpoint, '--node', 'fz-agent', '--driver', 'sim', '--cpus', '4', '--mem', '4096', '--disk', '1000', '--listen', `127.0.0.1:${port}`, '--heartbeat-ttl', '2']);
    await createAndBind(db.store, 'fz-agent', [newTask('fz-log', {})]);
    await waitForTask(db.store, 'fz-log', (s) => s.state === 'Running', 20_000);
    assert.equal((await call(base, 'GET', '/tasks/default/fz-log/log')).status, 401, 'the log route wants the secret');
    const secret = (await db.client.get(agentSecretKey('fz-agent')).string())!;
    assert.equal((await call(base, 'GET', '/tasks/default/fz-log/log', undefined, { headers: { authorization: `Bearer ${secret}` } })).status, 200);
    const alive = () => agent!.child.exitCode === null && agent!.child.signalCode === null;
    const counts = new Map<string, number>();
    await runFuzz('agent', agentRequest('fz-log', secret), Math.max(3000, BUDGET_MS / 4), async (r) => {
      assert.ok(alive(), 'the agent died on an earlier request');
      const a = await sendRaw(port, r.bytes, r.delivery, { waitMs: r.waitMs, head: r.method === 'HEAD' });
      tally(counts, a);
      const problems = answerProblems(r, a);
      if (!(await healthy(base))) problems.push(alive() ? '/healthz does not answer' : `the agent exited:\n${agent!.output.slice(-15).join('\n')}`);
      if (problems.length > 0) throw new Error(`${problems.join('\n')}\nrequest: ${show(r)}\nanswer: ${JSON.stringify(a.text.slice(0, 500))}`);
    });
    process.stdout.write(`# agent answers: ${JSON.stringify(Object.fromEntries([...counts].sort()))}\n`);
  });
});
