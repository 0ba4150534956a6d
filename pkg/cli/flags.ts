/** Flag value parsers for commander that name the flag and the rule they enforce. */
import { InvalidArgumentError } from 'commander';
import { parseInstant } from '../api/instant.js';

/** An integer >= 0 (`--instances`, `--tail`, `--to-revision`). */
export function nonNegativeInt(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${flag} must be a whole number, got "${value}"`);
    const n = Number(value);
    if (n < 0) throw new InvalidArgumentError(`${flag} must be >= 0, got ${n}`);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag} is too large: ${value}`);
    return n;
  };
}

/** An integer >= 1. */
export function positiveInt(flag: string) {
  const base = nonNegativeInt(flag);
  return (value: string): number => {
    const n = base(value);
    if (n < 1) throw new InvalidArgumentError(`${flag} must be >= 1, got ${n}`);
    return n;
  };
}

/** An instant: ISO 8601 with a zone, or unix seconds (`--slot`, `--from`, `--to`). */
export function instantFlag(flag: string) {
  return (value: string): Date => {
    const t = parseInstant(value);
    if (!(t instanceof Date)) throw new InvalidArgumentError(`${flag} ${t.error}`);
    return t;
  };
}

/** `-f FILE`, repeatable: the values so far plus this one. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RUN_ID_MAX = 253;

/** `--env NAME=value`, repeatable: the pairs so far plus this one. */
export function envPair(value: string, prev: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i < 0) throw new InvalidArgumentError(`--env must be NAME=value, got "${value}"`);
  const name = value.slice(0, i);
  if (!ENV_NAME_RE.test(name)) {
    throw new InvalidArgumentError(`--env: "${name}" is not an environment variable name (a letter or '_', then letters, digits, '_', '.' or '-')`);
  }
  return { ...(prev ?? {}), [name]: value.slice(i + 1) };
}

/** `job run --id`: 1 to 253 characters. */
export function runId(value: string): string {
  if (value.length < 1 || value.length > RUN_ID_MAX) throw new InvalidArgumentError(`--id must be 1 to ${RUN_ID_MAX} characters, got ${value.length}`);
  return value;
}
