/**
 * How stowctl reports failure: one `error: <message>` line on stderr, then
 * one indented line per detail (`  spec.instances: must be >= 0`), and a
 * non-zero exit code.
 */
import { ApiError, type ErrorDetail } from '../api/errors.js';

/** A failure of the CLI itself (bad input, timeout, a failed rollout). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit with this code; whatever needed saying was already printed. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
  }
}

/** The object asked for by name does not exist. */
export class NotFoundError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The server could not be reached at all (no HTTP answer). */
export class UnreachableError extends CliError {
  constructor(
    readonly server: string,
    readonly reason: string,
  ) {
    super(`cannot reach the Stowage server at ${server} (${reason}); is it running? set --server or STOWAGE_SERVER`);
    this.name = 'UnreachableError';
  }
}

/** `spec.instances: must be >= 0`; a message that already names its field is kept as is. */
export function detailLine(d: ErrorDetail): string {
  return d.field && !d.message.includes(`${d.field}: `) ? `${d.field}: ${d.message}` : d.message;
}

/** The text to print on stderr for any error, ending with a newline. */
export function formatError(e: unknown): string {
  let message: string;
  let details: string[] = [];
  if (e instanceof ApiError) {
    message = e.message;
    details = e.details.map(detailLine);
  } else if (e instanceof CliError) {
    message = e.message;
    details = e.details;
  } else if (e instanceof Error) {
    message = e.message;
  } else {
    message = String(e);
  }
  // A detail that only repeats the message (a YAML error's) is not printed twice.
  details = details.filter((d) => d !== message);
  return [`error: ${message}`, ...details.map((d) => `  ${d}`)].join('\n') + '\n';
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof ExitError || e instanceof CliError) return e.exitCode;
  return 1;
}
