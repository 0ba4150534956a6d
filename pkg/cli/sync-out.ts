/**
 * stdout and stderr as synchronous writes to their file descriptors. Touching
 * process.stdout builds a stream (the net, stream and tty modules: about 5 ms of
 * a start that takes 25); Node writes to files, pipes and terminals
 * synchronously on Linux as well, so what is printed and its order stay the same.
 *
 *   write(s) ── writeSync(fd) ──► done
 *                 ├─ EAGAIN (a non-blocking descriptor that is full) ──► the stream, from then on
 *                 └─ EPIPE (the reader left: `stowctl get tasks | head`) ──► exit 0
 *
 * `stream` is the real stream, for what needs one (progress bars on a terminal).
 */
import { createRequire } from 'node:module';
import type { Out } from './context.js';

// node:fs as CommonJS: its ES module face reads every export, fs streams included, when imported.
const { writeSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

export interface SyncOut extends Out {
  readonly stream: NodeJS.WriteStream;
}

export function syncOut(fd: number, open: () => NodeJS.WriteStream): SyncOut {
  let stream: NodeJS.WriteStream | undefined;
  const real = () => {
    if (!stream) {
      stream = open();
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
    }
    return stream;
  };
  let viaStream = false;
  return {
    write(s: string): boolean {
      if (viaStream) return real().write(s);
      let buf = Buffer.from(s, 'utf8');
      while (buf.length > 0) {
        try {
          buf = buf.subarray(writeSync(fd, buf));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') process.exit(0);
          if (code !== 'EAGAIN') throw e;
          viaStream = true;
          return real().write(buf);
        }
      }
      return true;
    },
    get isTTY() {
      return real().isTTY;
    },
    get stream() {
      return real();
    },
  };
}
