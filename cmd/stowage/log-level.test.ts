/**
 * `stowage server` and `stowage agent` check --log-level (and
 * STOWAGE_LOG_LEVEL, its default) before they touch etcd or Docker: a bad
 * value exits 2 with one line naming the flag and the levels allowed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function stowage(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cmd = process.env.STOWAGE_BIN ? [process.env.STOWAGE_BIN] : [process.execPath, '--import', 'tsx', 'cmd/stowage/main.ts'];
  const base = { ...process.env };
  delete base.STOWAGE_LOG_LEVEL;
  // etcd on port 1: nothing listens there, and nothing may get that far
  return spawnSync(cmd[0]!, [...cmd.slice(1), ...args, '--etcd', 'http://127.0.0.1:1'], { cwd: ROOT, encoding: 'utf8', env: { ...base, ...env }, timeout: 60_000 });
}

const COMMANDS: [string, string[]][] = [
  ['server', ['server']],
  ['agent', ['agent', '--node', 'n1']],
];

describe('--log-level on the command line', () => {
  for (const [name, args] of COMMANDS) {
    it(`stowage ${name}: a bad --log-level exits 2 naming the flag and the levels`, () => {
      const r = stowage([...args, '--log-level', 'verbose']);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, 'error: --log-level: "verbose" is not one of error, warn, info, debug\n');
    });
    it(`stowage ${name}: a bad STOWAGE_LOG_LEVEL exits 2 naming it`, () => {
      const r = stowage(args, { STOWAGE_LOG_LEVEL: 'trace' });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, 'error: --log-level (from STOWAGE_LOG_LEVEL): "trace" is not one of error, warn, info, debug\n');
    });
    it(`stowage ${name}: a good level passes (the next bad flag is the one named)`, () => {
      const r = stowage([...args, '--log-level', 'debug', '--listen', 'nowhere']);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^error: --listen: "nowhere" is not HOST:PORT/);
    });
    it(`stowage ${name} --help lists the levels`, () => {
      const r = stowage([...args, '--help']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.replace(/\s+/g, ' '), /--log-level <level> least severe level logged: error, warn, info, debug \(default: "info", env: STOWAGE_LOG_LEVEL\)/);
    });
  }
});
