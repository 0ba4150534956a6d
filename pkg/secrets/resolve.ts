/**
 * A task's secret env: its `{secret, key}` references turned into values,
 * read from the Secrets of the task's namespace. Shared by the agent reading
 * etcd itself (store-env.ts) and the server answering an agent
 * (GET /api/v1/tasks/<ns>/<name>/secret-env).
 *
 * A reference to a missing secret or key is not an error of the apply (the
 * Secret may come later, as in Kubernetes): the task fails to start with
 * reason SecretNotFound, and its owner's next task tries again.
 */
import { secretRefsOf, type EnvSecretRef } from '../api/secrets.js';
import type { Secret, Task } from '../api/types.js';
import { openData } from './secret-data.js';
import type { SecretCipher } from './cipher.js';

/** A reference that could not be resolved: names only, never a value. */
export interface MissingRef extends EnvSecretRef {
  reason: 'SecretNotFound' | 'KeyNotFound';
}

export interface ResolvedEnv {
  /** Env variable -> value, for the references that resolved. */
  env: Record<string, string>;
  missing: MissingRef[];
}

/** What an agent's start needs: the values of a task's secret env. Throws SecretNotFoundError for a missing secret or key. */
export interface SecretEnv {
  resolve(task: Task): Promise<Record<string, string>>;
}

/** Some references of the task point at no secret or no key: the task cannot start. */
export class SecretNotFoundError extends Error {
  override name = 'SecretNotFoundError';
  readonly reason = 'SecretNotFound';
  constructor(readonly missing: readonly MissingRef[], namespace: string) {
    super(missing.map((m) => describeMissing(m, namespace)).join('; '));
  }
}

export function describeMissing(m: MissingRef, namespace: string): string {
  return m.reason === 'SecretNotFound'
    ? `env ${m.env}: secret "${m.secret}" not found in namespace "${namespace}"`
    : `env ${m.env}: secret "${m.secret}" has no key "${m.key}"`;
}

/** Resolve every reference of the task; each Secret is read (and opened) once. */
export async function resolveRefs(task: Task, read: (namespace: string, name: string) => Promise<Secret | undefined>, cipher: SecretCipher): Promise<ResolvedEnv> {
  const ns = task.metadata.namespace ?? 'default';
  const refs = secretRefsOf(task.spec.env);
  const opened = new Map<string, Promise<Record<string, string> | undefined>>();
  const dataOf = (name: string) => {
    let p = opened.get(name);
    if (!p) opened.set(name, (p = read(ns, name).then((s) => (s ? openData(s, cipher) : undefined))));
    return p;
  };
  const out: ResolvedEnv = { env: {}, missing: [] };
  for (const r of refs) {
    const data = await dataOf(r.secret);
    if (data === undefined) out.missing.push({ ...r, reason: 'SecretNotFound' });
    else if (!Object.hasOwn(data, r.key)) out.missing.push({ ...r, reason: 'KeyNotFound' });
    else out.env[r.env] = data[r.key]!;
  }
  return out;
}

/** The env a resolution gives, or SecretNotFoundError naming what is missing. */
export function envOrThrow(r: ResolvedEnv, task: Task): Record<string, string> {
  if (r.missing.length > 0) throw new SecretNotFoundError(r.missing, task.metadata.namespace ?? 'default');
  return r.env;
}
