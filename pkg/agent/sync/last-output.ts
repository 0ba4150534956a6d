/**
 * The last lines a failed container wrote, for its task's status, so that a
 * crash is explained after the task and its container are gone (as
 * Kubernetes' FallbackToLogsOnError does). Bounded in lines, bytes and time:
 * a report must not wait on a slow log read.
 */
import type { Readable } from 'node:stream';

export const LAST_OUTPUT_LINES = 10;
export const LAST_OUTPUT_BYTES = 1024;
export const LAST_OUTPUT_TIMEOUT_MS = 500;

/** Up to maxBytes of the stream's end, cut to whole lines where it can be; undefined when empty. */
export async function readLastOutput(open: () => Promise<Readable>, timeoutMs = LAST_OUTPUT_TIMEOUT_MS, maxBytes = LAST_OUTPUT_BYTES): Promise<string | undefined> {
  let stream: Readable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const read = (async () => {
    stream = await open();
    let buf = Buffer.alloc(0);
    for await (const chunk of stream) {
      buf = Buffer.concat([buf, Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))]);
      if (buf.length > 4 * maxBytes) buf = buf.subarray(buf.length - 2 * maxBytes);
    }
    return buf;
  })();
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
  try {
    const buf = await Promise.race([read, timeout]);
    return buf ? tail(buf, maxBytes) : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    stream?.destroy();
    read.catch(() => undefined);
  }
}

/** The end of buf: at most maxBytes, starting at a line when the cut falls mid-line. */
export function tail(buf: Buffer, maxBytes = LAST_OUTPUT_BYTES): string | undefined {
  let s = buf.length > maxBytes ? buf.subarray(buf.length - maxBytes).toString('utf8') : buf.toString('utf8');
  if (buf.length > maxBytes) {
    const nl = s.indexOf('\n');
    if (nl >= 0 && nl < s.length - 1) s = s.slice(nl + 1);
  }
  // a multi-byte character cut at the start decodes as U+FFFD: drop it
  s = s.replace(/^\uFFFD+/, '').replace(/\s+$/, '');
  return s === '' ? undefined : s;
}
