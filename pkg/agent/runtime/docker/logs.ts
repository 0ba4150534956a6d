/**
 * Docker's logs of a non-TTY container are multiplexed: 8-byte frame headers
 * (stream id, 0, 0, 0, big-endian length) before each chunk. This turns them
 * into one plain text stream (stdout and stderr interleaved as written).
 */
import type Docker from 'dockerode';
import { PassThrough, Readable } from 'node:stream';

/** `raw` is what dockerode gives: a stream when following, a Buffer otherwise. */
export function demuxLogs(docker: Docker, raw: Buffer | NodeJS.ReadableStream): PassThrough {
  const out = new PassThrough();
  const src: Readable = Buffer.isBuffer(raw) ? Readable.from([raw]) : (raw as Readable);
  docker.modem.demuxStream(src, out, out);
  src.once('end', () => out.end());
  src.once('error', (e) => out.destroy(e));
  // A reader that goes away (client disconnected) ends the follow request too.
  out.once('close', () => src.destroy());
  return out;
}
