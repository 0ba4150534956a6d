/**
 * Secret values at rest: AES-256-GCM, one random 96-bit nonce per value, the
 * value's place (`<namespace>/<name>/<key>`) as additional authenticated data
 * so a sealed value cannot be moved to another secret or key.
 *
 *   plaintext ──seal──► "stowage:enc:aesgcm:v1:<key id>:<base64(nonce | ciphertext | tag)>"
 *
 * The key id (first 8 hex digits of sha256(key)) tells a value sealed with
 * another key from a tampered one; a value without the prefix is plaintext
 * (written before the key was given) and opens as it is. Without a key,
 * seal stores values as given and open refuses sealed ones, naming the flag.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SEALED_PREFIX } from '../api/secrets.js';

const SCHEME = 'aesgcm:v1';
const PREFIX = `${SEALED_PREFIX}${SCHEME}:`;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** A value that cannot be opened: sealed with another key, tampered with, or no key given. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

export class SecretCipher {
  /** undefined: no key; values are stored as given. */
  readonly keyId: string | undefined;

  constructor(private readonly key?: Buffer) {
    if (key !== undefined && key.length !== KEY_BYTES) throw new RangeError(`an AES-256 key is ${KEY_BYTES} bytes; got ${key.length}`);
    this.keyId = key ? createHash('sha256').update(key).digest('hex').slice(0, 8) : undefined;
  }

  /** The stored form of value at place (`ns/name/key`): sealed when there is a key. */
  seal(value: string, place: string): string {
    if (!this.key) return value;
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(Buffer.from(place));
    const body = Buffer.concat([nonce, c.update(value, 'utf8'), c.final(), c.getAuthTag()]);
    return `${PREFIX}${this.keyId}:${body.toString('base64')}`;
  }

  /** The value of a stored form. Throws SecretKeyError when it cannot be opened (never with the value in it). */
  open(stored: string, place: string): string {
    if (!isSealed(stored)) return stored;
    const rest = stored.slice(SEALED_PREFIX.length);
    if (!rest.startsWith(`${SCHEME}:`)) throw new SecretKeyError(`${place}: sealed with an unknown scheme (this version reads ${SCHEME})`);
    const [kid, b64] = rest.slice(SCHEME.length + 1).split(':', 2);
    if (!this.key) throw new SecretKeyError(`${place}: encrypted at rest (key id ${kid}); start with --secrets-key naming that key`);
    if (kid !== this.keyId) throw new SecretKeyError(`${place}: encrypted with key id ${kid}, but --secrets-key is key id ${this.keyId}`);
    const body = Buffer.from(b64 ?? '', 'base64');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new SecretKeyError(`${place}: the sealed value is truncated`);
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, body.subarray(0, NONCE_BYTES));
      d.setAAD(Buffer.from(place));
      d.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([d.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`${place}: the sealed value does not authenticate (altered in the store, or moved from another secret)`);
    }
  }
}

export const isSealed = (stored: string): boolean => stored.startsWith(SEALED_PREFIX);

/** A value's length in bytes, from its stored form, without opening it. */
export function storedSize(stored: string): number {
  if (!stored.startsWith(PREFIX)) return Buffer.byteLength(stored);
  const b64 = stored.slice(stored.indexOf(':', PREFIX.length) + 1);
  return Math.max(0, Buffer.from(b64, 'base64').length - NONCE_BYTES - TAG_BYTES);
}

/**
 * The key of `--secrets-key FILE` (flag names the option in errors): 32 bytes,
 * raw or base64 (`head -c 32 /dev/urandom | base64 > FILE`).
 */
export async function loadSecretsKey(file: string, flag = '--secrets-key'): Promise<SecretCipher> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (e) {
    throw new SecretKeyError(`${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return new SecretCipher(parseKey(raw, `${flag}: ${file}`));
}

export function parseKey(raw: Buffer, where: string): Buffer {
  if (raw.length === KEY_BYTES) return raw;
  const text = raw.toString('latin1').trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const k = Buffer.from(text, 'base64');
    if (k.length === KEY_BYTES) return k;
  }
  throw new SecretKeyError(`${where}: holds ${raw.length} bytes; expected ${KEY_BYTES} random bytes, raw or base64 (head -c 32 /dev/urandom | base64 > FILE)`);
}
