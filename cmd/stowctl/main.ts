#!/usr/bin/env node
/** stowctl: the Stowage CLI. The commands are in pkg/cli. */
import { run } from '../../pkg/cli/program.js';

const ac = new AbortController();
// First Ctrl-C stops watches and waits cleanly; a second one exits at once.
process.on('SIGINT', () => {
  if (ac.signal.aborted) process.exit(130);
  ac.abort();
});
// `stowctl get tasks | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// process.stdin sets up a stream when first touched: only `apply -f -` and `login --token -` read it.
const lazyStdin: AsyncIterable<Buffer | string> = { [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() };

const code = await run(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: lazyStdin, env: process.env },
  { signal: ac.signal },
);
process.exitCode = ac.signal.aborted && code === 0 ? 130 : code;
