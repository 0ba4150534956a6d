/** stowctl's synchronous stdout: whole output through a pipe, in order; a reader that leaves early means exit 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('./sync-out.ts', import.meta.url));

/** A process that writes `lines` numbered lines (0: until stopped) through syncOut(1), then "end" on stderr. */
function writer(lines: number) {
  const script = `
    const { syncOut } = await import(${JSON.stringify(MODULE)});
    const out = syncOut(1, () => process.stdout);
    for (let i = 0; lines === 0 || i < lines; i++) {
      out.write('line ' + i + ' ' + 'x'.repeat(100) + '\\n');
      // as a watch does: output between turns of the event loop
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    process.stderr.write('end');`.replace('lines', String(lines)).replace('lines', String(lines));
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

test('everything written arrives through a pipe, in order', async () => {
  const p = writer(20_000);
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.equal(code, 0);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 20_000);
  lines.forEach((l, i) => assert.ok(l.startsWith(`line ${i} `), `line ${i}: ${l.slice(0, 20)}`));
});

test('a reader that closes the pipe early ends the writer with exit 0 (stowctl get tasks | head)', async () => {
  const p = writer(0);
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  p.stdout.once('data', () => p.stdout.destroy());
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => p.on('close', (c, s) => r([c, s])));
  assert.deepEqual([code, signal], [0, null], err);
});
