import { ApiError } from '../api/errors.js';

/** Turn whatever the etcd client threw into a 503 that says what happened. */
export function unavailable(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof RangeError) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  return new ApiError('Unavailable', `etcd is unavailable: ${msg.split('\n')[0]}`);
}
