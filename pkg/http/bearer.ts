/**
 * A client's API token, from a file (`--token-file`): the token is the
 * file's content without surrounding whitespace. It goes into an
 * `Authorization: Bearer` header and nowhere else: never a log line or
 * an error message (errors name the flag and the file).
 */
import { readFileSync } from 'node:fs';

export class TokenFileError extends RangeError {
  override name = 'TokenFileError';
}

/** A token is printable ASCII without spaces (what fits in a header as it is). */
const TOKEN = /^[\x21-\x7e]+$/;

export function parseToken(flag: string, source: string, text: string): string {
  const t = text.trim();
  if (t === '') throw new TokenFileError(`${flag}: ${source} is empty; it should hold the API token`);
  if (!TOKEN.test(t)) throw new TokenFileError(`${flag}: ${source} does not hold one token (printable characters without spaces, on one line)`);
  return t;
}

export function readTokenFile(flag: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TokenFileError(`${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseToken(flag, path, text);
}

export const bearer = (token: string): string => `Bearer ${token}`;
