/**
 * The runner's logs: every line of a loop carries {loop}; a reconcile's
 * lines, the runner's and the loop's own, carry {key, reconcileId}; a
 * failing reconcile is logged with them and its error.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.js';
import { memoryLogger, type Logger, type Meta } from '../log/logger.js';
import { Controller, type ReconcileResult } from './controller.js';

type Line = { level: string; message: string; meta?: Meta };

/** A loop whose reconcile does what the test says for each key. */
class Probe extends Controller {
  constructor(
    log: Logger,
    private readonly behave: (key: string, log: Logger) => Promise<ReconcileResult | void>,
  ) {
    super('probe', log);
  }
  protected async setup(): Promise<void> {}
  protected reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    return this.behave(key, log);
  }
}

const until = async (what: string, f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Controller logs', () => {
  let loop: Probe | undefined;
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
  });
  const run = async (behave: (key: string, log: Logger) => Promise<ReconcileResult | void>, electedAt?: number) => {
    const log = memoryLogger();
    loop = new Probe(log, behave);
    await loop.start({ fence: () => ({}) as never, ...(electedAt !== undefined ? { electedAt } : {}) });
    return log.lines as Line[];
  };

  it('a failing reconcile logs a warning with loop, key, reconcileId and the error; the loop\'s own lines share them', async () => {
    let attempts = 0;
    const lines = await run(async (_key, log) => {
      attempts++;
      log.info('about to fail', { step: attempts });
      throw new Error('etcd unavailable');
    });
    loop!.enqueue('default/web');
    await until('a failure logged', () => lines.some((l) => l.message === 'reconcile failed; retrying with backoff'));
    const failed = lines.find((l) => l.message === 'reconcile failed; retrying with backoff')!;
    assert.equal(failed.level, 'warn');
    assert.deepEqual(
      { loop: failed.meta?.loop, key: failed.meta?.key, error: failed.meta?.error, retries: failed.meta?.retries },
      { loop: 'probe', key: 'default/web', error: 'etcd unavailable', retries: 0 },
    );
    assert.match(String(failed.meta?.reconcileId), /^[0-9a-f]{8}$/);
    const own = lines.find((l) => l.message === 'about to fail')!;
    assert.deepEqual([own.meta?.loop, own.meta?.key, own.meta?.reconcileId], ['probe', 'default/web', failed.meta?.reconcileId], 'the same reconcile');
    assert.equal('controller' in failed.meta!, false, 'controller is now loop');
  });

  it('a refused write is an error with loop and key; a fenced one a warning with them', async () => {
    const lines = await run(async (key) => {
      throw new ApiError(key === 'a/refused' ? 'Refused' : 'Fenced', 'no');
    });
    loop!.enqueue('a/refused');
    loop!.enqueue('a/fenced');
    await until('both logged', () => lines.length >= 2);
    const byKey = new Map(lines.map((l) => [l.meta?.key, l]));
    assert.deepEqual([byKey.get('a/refused')?.level, byKey.get('a/refused')?.meta?.loop], ['error', 'probe']);
    assert.deepEqual([byKey.get('a/fenced')?.level, byKey.get('a/fenced')?.meta?.loop], ['warn', 'probe']);
  });

  it('a reconcile that went well is one debug line with loop, key and its result', async () => {
    const lines = await run(async (key) => (key === 'later' ? { requeueAfter: 60_000 } : undefined));
    loop!.enqueue('now');
    loop!.enqueue('later');
    await until('both logged', () => lines.length >= 2);
    const got = lines.map((l) => [l.level, l.message, l.meta?.loop, l.meta?.key, l.meta?.result]).sort();
    assert.deepEqual(got, [
      ['debug', 'reconciled', 'probe', 'later', 'requeue'],
      ['debug', 'reconciled', 'probe', 'now', 'success'],
    ]);
  });

  it('the first reconcile that completes in a term is logged once, with its duration and the time since the term was won', async () => {
    let calls = 0;
    const lines = await run(async (key) => {
      calls++;
      if (key === 'a/fails') throw new Error('not yet');
      await new Promise((r) => setTimeout(r, 20));
    }, Date.now() - 100);
    loop!.enqueue('a/fails');
    await until('the failure logged', () => lines.some((l) => l.message === 'reconcile failed; retrying with backoff'));
    assert.equal(lines.filter((l) => l.message === 'first reconcile after takeover').length, 0, 'a failed reconcile is not the first completed one');
    loop!.enqueue('a/one');
    loop!.enqueue('a/two');
    await until('both reconciled', () => lines.filter((l) => l.message === 'reconciled').length >= 2);
    const first = lines.filter((l) => l.message === 'first reconcile after takeover');
    assert.equal(first.length, 1, 'once per term');
    assert.equal(first[0]!.level, 'info');
    assert.equal(first[0]!.meta?.loop, 'probe');
    assert.equal(first[0]!.meta?.key, 'a/one');
    assert.ok(Number(first[0]!.meta?.tookMs) >= 15, `tookMs ${first[0]!.meta?.tookMs}`);
    assert.ok(Number(first[0]!.meta?.sinceElectedMs) >= 115, `sinceElectedMs ${first[0]!.meta?.sinceElectedMs}`);
    assert.ok(calls >= 3);
  });

  it('outside a term (no electedAt) nothing is logged as a takeover', async () => {
    const lines = await run(async () => undefined);
    loop!.enqueue('a/one');
    await until('reconciled', () => lines.some((l) => l.message === 'reconciled'));
    assert.equal(lines.filter((l) => l.message === 'first reconcile after takeover').length, 0);
  });
});
