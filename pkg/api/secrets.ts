/**
 * Secrets as the rest of the code sees them (pure):
 *
 *   Secret {data: {password: "..."}}             stored (values sealed with --secrets-key)
 *   env: {PASSWORD: {secret: db, key: password}}  in a Service's, Job's and so Task's spec
 *
 * A task keeps the reference; only the agent that starts its container (or the
 * server answering that agent) turns it into the value. Every read of a Secret
 * through the API shows its keys with the value REDACTED, unless revealed.
 */
import { joinPath } from './paths.js';
import type { EnvValue, SecretRef } from './types.js';

/** What the API shows in place of every value. */
export const REDACTED = '<redacted>';
/** Stored values that start with this are sealed (pkg/secrets/cipher.ts); users' values may not. */
export const SEALED_PREFIX = 'stowage:enc:';
/** All keys and values of one Secret together, in bytes (UTF-8). */
export const MAX_SECRET_BYTES = 256 * 1024;

export function isSecretRef(v: EnvValue | undefined): v is SecretRef {
  return v !== null && typeof v === 'object';
}

/** One env variable taken from a Secret. */
export interface EnvSecretRef extends SecretRef {
  env: string;
}

/** The env variables of a spec that reference Secrets, in the order written. */
export function secretRefsOf(env: Record<string, EnvValue> | undefined): EnvSecretRef[] {
  const out: EnvSecretRef[] = [];
  for (const [name, v] of Object.entries(env ?? {})) if (isSecretRef(v)) out.push({ env: name, secret: v.secret, key: v.key });
  return out;
}

/** The literal (non-secret) env variables of a spec. */
export function literalEnv(env: Record<string, EnvValue> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(env ?? {})) if (typeof v === 'string') out[name] = v;
  return out;
}

/** How an env value reads in describe and the UI: the value, or `<secret db/password>`. */
export function envDisplay(v: EnvValue): string {
  return isSecretRef(v) ? `<secret ${v.secret}/${v.key}>` : v;
}

type Report = (field: string, rule: string, message: string) => void;

/** A Secret's rules the schema cannot say: the size cap, the reserved prefix, no placeholder. Never echoes a value. */
export function checkSecretData(data: unknown, report: Report): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return;
  let bytes = 0;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (v.startsWith(SEALED_PREFIX)) report(joinPath('data', k), 'reserved', `must not begin with "${SEALED_PREFIX}" (it marks values encrypted at rest)`);
    // `get -o yaml` output applied back would overwrite every value with the placeholder
    else if (v === REDACTED) report(joinPath('data', k), 'redacted', `is "${REDACTED}", the placeholder the API shows: give the value itself (a Secret read back from the API cannot be applied as it is)`);
  }
  if (bytes > MAX_SECRET_BYTES) report('data', 'maxSize', `keys and values together must be at most ${MAX_SECRET_BYTES} bytes (256 KiB); got ${bytes}`);
}
