/**
 * A Secret object between the API and etcd:
 *
 *   write:  user's data ──seal each value──► stored data
 *   read:   stored data ──redact──► {KEY: "<redacted>"} + status.sizes   (every list, watch, get)
 *                       ──open────► values                              (reveal, resolving env)
 *
 * Every function returns a new object; non-Secret objects pass through.
 */
import { REDACTED } from '../api/secrets.js';
import type { AnyResource, Secret } from '../api/types.js';
import { storedSize, type SecretCipher } from './cipher.js';

const place = (s: Secret, key: string): string => `${s.metadata.namespace ?? 'default'}/${s.metadata.name}/${key}`;

export function sealSecret(s: Secret, cipher: SecretCipher): Secret {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) data[k] = cipher.seal(v, place(s, k));
  return { ...s, data };
}

/** The data with every value opened; throws SecretKeyError for one that cannot be. */
export function openData(s: Secret, cipher: SecretCipher): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) data[k] = cipher.open(v, place(s, k));
  return data;
}

/** The Secret as the API shows it: keys kept, values replaced, sizes in status. Idempotent. */
export function redactSecret<T extends AnyResource | Secret>(o: T): T {
  if (o.kind !== 'Secret') return o;
  const s = o as Secret;
  const data: Record<string, string> = {};
  const sizes: Record<string, number> = { ...(s.status?.sizes ?? {}) };
  for (const [k, v] of Object.entries(s.data ?? {})) {
    if (v !== REDACTED) sizes[k] = storedSize(v);
    data[k] = REDACTED;
  }
  for (const k of Object.keys(sizes)) if (!(k in data)) delete sizes[k];
  return { ...s, data, status: { sizes } } as T;
}

/** The Secret with its values shown (reveal): sizes too, as redactSecret gives them. */
export function revealSecret(s: Secret, cipher: SecretCipher): Secret {
  return { ...s, data: openData(s, cipher), status: redactSecret(s).status! };
}
