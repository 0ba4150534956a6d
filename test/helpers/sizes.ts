/**
 * For the batch-size tests: the sizes around etcd's transaction budget
 * (a fence plus 64 status writes of 2 compares each is 129), a test-setup
 * writer that stays far below the budget whatever the code under test
 * does, and the count of refusals this process has seen.
 */
import type { Etcd3 } from 'etcd3';
import { agentStatusWrites, etcdRefused, reconcileTotal } from '../../pkg/metrics/metrics.js';
import type { Store } from '../../pkg/store/store.js';
import type { Txn } from '../../pkg/store/txn.js';
import { until } from './wait.js';

/** Just under, at and over the 64 items where one fenced transaction of 2-compare writes overflows; several; many. */
export const SIZES = [63, 64, 65, 200, 1000] as const;

/** How long a batch of n items may take on a loaded 2-core machine. */
export const boundFor = (n: number): number => (n >= 1000 ? 60_000 : 30_000);

/** Items per set-up transaction: at most 3 compares and 3 writes each stays well inside 128. */
const SETUP_PER_TXN = 30;

/**
 * Test set-up: write `items` in unfenced transactions of SETUP_PER_TXN,
 * four at once. Fails if any transaction does not apply.
 */
export async function writeAll<T>(store: Store, items: readonly T[], add: (txn: Txn, item: T) => void): Promise<void> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += SETUP_PER_TXN) chunks.push(items.slice(i, i + SETUP_PER_TXN));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const txn = store.txn();
      for (const it of chunk) add(txn, it);
      const r = await txn.commit();
      if (!r.succeeded) throw new Error(`set-up transaction of ${chunk.length} item(s) did not apply`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, chunks.length) }, worker));
}

const sum = async (m: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, where: (l: Record<string, unknown>) => boolean = () => true) =>
  (await m.get()).values.filter((v) => where(v.labels)).reduce((n, v) => n + v.value, 0);

/**
 * Every refusal this process counted: transactions over the budget or
 * refused by etcd (stowage_etcd_refused_total), reconciles that ended
 * Refused, and agent status writes dropped as refused.
 */
export async function refusals(): Promise<number> {
  return (
    (await sum(etcdRefused)) +
    (await sum(reconcileTotal, (l) => l.result === 'refused')) +
    (await sum(agentStatusWrites, (l) => l.result === 'refused'))
  );
}

/**
 * until(), but failing at once, not at the time bound, when this process
 * counts a refusal after `refusedBefore` (a refused batch never completes).
 */
export async function untilUnrefused<T>(what: string, refusedBefore: number, f: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs: number): Promise<T> {
  const r = await until(what, async () => {
    const refused = (await refusals()) - refusedBefore;
    if (refused > 0) return { refused };
    const v = await f();
    return v ? { value: v } : undefined;
  }, timeoutMs);
  if ('refused' in r) throw new Error(`${r.refused} refusal(s) counted while waiting for ${what}`);
  return r.value;
}

/**
 * After a case: delete every key under these prefixes, so a later case's
 * loop has nothing of it left to act on (and a case that failed cannot
 * make the next one fail).
 */
export async function deletePrefixes(client: Etcd3, prefixes: string[]): Promise<void> {
  for (const p of prefixes) await client.delete().prefix(p);
}
