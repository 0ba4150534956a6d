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
