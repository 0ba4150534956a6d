/**
 * The secrets scan: after a run, look for secret values everywhere they must
 * never be. Reads etcd raw (every key under /stowage/ but the Secrets
 * themselves: events, tasks' stored specs and statuses, services, jobs, runs,
 * assignments, nodes) and every log given. A leak is reported by where it is,
 * never with the value, so a failing test does not print the secret either.
 *
 *   const leaks = await scanForSecrets([VALUE], { client, logs: { server: server.output } });
 *   assert.deepEqual(leaks, []);
 */
import type { Etcd3 } from 'etcd3';

export interface ScanSources {
  /** etcd to read raw; every key under /stowage/ is scanned except those under skipPrefixes. */
  client?: Etcd3;
  /** Default ['/stowage/secrets/']: the Secret objects hold the values (sealed when a key is given). */
  skipPrefixes?: string[];
  /** Log lines (or whole texts) by a name for the report: server, agent, ... */
  logs?: Record<string, readonly string[] | string>;
}

export interface Leak {
  /** `etcd /stowage/tasks/a/web-x1` or `log server line 12`. */
  where: string;
  /** Which of the values (its index in the list given), not the value. */
  value: number;
}

export async function scanForSecrets(values: readonly string[], src: ScanSources): Promise<Leak[]> {
  const wanted = values.filter((v) => v.length > 0);
  const leaks: Leak[] = [];
  const check = (text: string, where: string) => {
    wanted.forEach((v, i) => {
      if (text.includes(v)) leaks.push({ where, value: i });
    });
  };
  if (src.client) {
    const skip = src.skipPrefixes ?? ['/stowage/secrets/'];
    const all = await src.client.getAll().prefix('/stowage/').strings();
    for (const [key, value] of Object.entries(all)) {
      if (skip.some((p) => key.startsWith(p))) continue;
      check(value, `etcd ${key}`);
    }
  }
  for (const [name, log] of Object.entries(src.logs ?? {})) {
    const lines = typeof log === 'string' ? log.split('\n') : log;
    lines.forEach((l, i) => check(l, `log ${name} line ${i + 1}`));
  }
  return leaks;
}
