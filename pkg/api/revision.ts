/**
 * A resourceVersion as a client sends it back: an etcd revision, which is
 * a decimal int64. etcd refuses an empty one ("serialization failure") and
 * wraps larger ones around, so anything else is the client's error.
 */
const MAX_REVISION = 2n ** 63n - 1n;

export function isRevision(s: string): boolean {
  return /^\d{1,19}$/.test(s) && BigInt(s) <= MAX_REVISION;
}
