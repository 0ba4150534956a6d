/**
 * The suite-wide secrets scan. Every server, agent and proxy a test spawns
 * copies its output to .run/scan-logs/, and every test that makes a secret
 * value or a token names it with rememberSecrets(); after the whole suite,
 * `hack/test.sh all` runs test/scan-suite.ts, which fails if any remembered
 * value appears in any of those logs. Values are kept in a 0600 file and a
 * leak is reported by file and line, never with the value.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCAN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../.run/scan-logs');
export const SECRETS_LIST = join(SCAN_DIR, 'secrets.list');

let made = false;
const ensureDir = () => {
  if (!made) mkdirSync(SCAN_DIR, { recursive: true, mode: 0o700 });
  made = true;
};

/** Values that must never appear in any process's log (secret values, tokens). */
export function rememberSecrets(...values: string[]): void {
  ensureDir();
  appendFileSync(SECRETS_LIST, values.filter((v) => v !== '' && !v.includes('\n')).map((v) => `${v}\n`).join(''), { mode: 0o600 });
}

/** A sink for one spawned process's output: `<what>-<pid>.log` under SCAN_DIR. */
export function scanLog(what: string, pid: number | undefined): (chunk: Buffer | string) => void {
  ensureDir();
  const file = join(SCAN_DIR, `${what}-${pid ?? 'unknown'}.log`);
  return (chunk) => {
    try {
      appendFileSync(file, chunk);
    } catch {
      // a full disk must not fail the test that spawned the process; the scan reads what is there
    }
  };
}
