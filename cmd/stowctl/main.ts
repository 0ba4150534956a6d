#!/usr/bin/env node
/** stowctl: the Stowage CLI. The commands are in pkg/cli. */
import { run } from '../../pkg/cli/program.js';
import { syncOut } from '../../pkg/cli/sync-out.js';

const ac = new AbortController();
// First Ctrl-C stops watches and waits cleanly; a second one exits at once.
process.on('SIGINT', () => {
  if (ac.signal.aborted) process.exit(130);
  ac.abort();
});
// Synchronous writes to fds 1 and 2 (sync-out.ts): process.stdout's stream costs a fifth of a start.
// `stowctl get tasks | head` closes stdout early: that is not an error (exit 0).
const stdout = syncOut(1, () => process.stdout);
const stderr = syncOut(2, () => process.stderr);

// process.stdin sets up a stream when first touched: only `apply -f -` and `login --token -` read it.
const lazyStdin: AsyncIterable<Buffer | string> = { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() };

const code = await run(
  process.argv.slice(2),
  { stdout, stderr, stdin: lazyStdin, env: process.env },
  { signal: ac.signal },
);
process.exitCode = ac.signal.aborted && code === 0 ? 130 : code;
