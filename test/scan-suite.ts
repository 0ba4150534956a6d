/**
 * After the whole suite: no value a test remembered (secret values, tokens;
 * test/helpers/suite-scan.ts) appears in any log a spawned server, agent or
 * proxy wrote. Prints where a leak is, never the value; exits 1 on a leak.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCAN_DIR, SECRETS_LIST } from './helpers/suite-scan.js';

const values = existsSync(SECRETS_LIST) ? [...new Set(readFileSync(SECRETS_LIST, 'utf8').split('\n').filter((v) => v.length >= 8))] : [];
const logs = existsSync(SCAN_DIR) ? readdirSync(SCAN_DIR).filter((f) => f.endsWith('.log')) : [];
const leaks: string[] = [];
let lines = 0;
for (const f of logs) {
  const text = readFileSync(join(SCAN_DIR, f), 'utf8').split('\n');
  lines += text.length;
  text.forEach((line, i) => {
    const k = values.findIndex((v) => line.includes(v));
    if (k >= 0) leaks.push(`${f} line ${i + 1} (remembered value #${k + 1})`);
  });
}
if (values.length === 0 || logs.length === 0) {
  console.error(`secrets scan: nothing to scan (${values.length} values, ${logs.length} logs): the tests that make secrets and tokens did not run`);
  process.exit(1);
}
if (leaks.length > 0) {
  console.error(`secrets scan: ${leaks.length} leaks of a secret value or token into a log:\n  ${leaks.slice(0, 50).join('\n  ')}`);
  process.exit(1);
}
console.log(`secrets scan: ${values.length} secret values and tokens, none in ${logs.length} logs (${lines} lines)`);
