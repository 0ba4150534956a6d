/**
 * What the etcd client threw, as an ApiError that says what to do about it:
 *
 *   etcd refused the request for good (INVALID_ARGUMENT: too many operations
 *   in a transaction, a request too large, a duplicate key; FAILED_PRECONDITION;
 *   NOT_IMPLEMENTED; PERMISSION_DENIED)                  ──► Refused (a bug: log, count, don't retry)
 *   anything else (unreachable, deadline, no leader)     ──► Unavailable (retry later)
 */
import {
  EtcdPermissionDeniedError,
  GRPCAlreadyExistsError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCNotImplementedError,
} from 'etcd3';
import { ApiError } from '../api/errors.js';

const PERMANENT = [GRPCInvalidArgumentError, GRPCFailedPreconditionError, GRPCNotImplementedError, GRPCAlreadyExistsError, EtcdPermissionDeniedError];

/** True when etcd refused the request itself and the same request will be refused again. */
export function isPermanentEtcdError(e: unknown): boolean {
  return PERMANENT.some((c) => e instanceof c) || /INVALID_ARGUMENT|too many operations in txn|request is too large/.test(String(e));
}

export function classifyEtcdError(e: unknown, key?: string): ApiError {
  if (e instanceof ApiError) return e;
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  if (isPermanentEtcdError(e)) return new ApiError('Refused', `etcd refused the request${key ? ` (key ${key})` : ''}: ${msg}`);
  return new ApiError('Unavailable', `etcd is unavailable: ${msg}`);
}

/** Turn whatever the etcd client threw into an ApiError (503 Unavailable unless etcd refused it for good). */
export function unavailable(e: unknown): ApiError {
  if (e instanceof RangeError) throw e;
  return classifyEtcdError(e);
}
