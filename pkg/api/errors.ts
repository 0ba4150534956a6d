/**
 * Errors that cross the API: each has an HTTP status, a machine code, a
 * message a human can act on, and details (one per failing field).
 * `retryable` tells callers whether trying again later may succeed.
 */

export interface ErrorDetail {
  /** JSON path of the field, e.g. "spec.instances", or "" for the whole object. */
  field: string;
  /** The rule that failed: "minimum", "required", "additionalProperties", ... */
  rule?: string;
  message: string;
}

export type ErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'TooManyRequests'
  | 'Invalid'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'TooLarge'
  | 'Unavailable'
  | 'Fenced'
  | 'Gone'
  | 'Refused'
  | 'Internal';

const STATUS: Record<ErrorCode, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  TooManyRequests: 429,
  Invalid: 422,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  TooLarge: 413,
  Unavailable: 503,
  Fenced: 409,
  Gone: 410,
  // etcd refused a write for good (over its transaction limit): a bug, never retried
  Refused: 500,
  Internal: 500,
};

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
    this.retryable = code === 'Conflict' || code === 'Unavailable' || code === 'TooManyRequests';
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetail[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export const isApiError = (e: unknown, code?: ErrorCode): e is ApiError =>
  e instanceof ApiError && (code === undefined || e.code === code);

/** 429: a limit was reached; the answer carries `Retry-After: retryAfterSeconds`. */
export class TooManyRequestsError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TooManyRequests', message);
  }
}
