/**
 * `--log-level`, one definition for every command that logs (`stowage
 * server`, `stowage agent`, ...): the option, its default (the
 * STOWAGE_LOG_LEVEL environment variable, else info) and its check, which
 * names the flag, or the variable when the bad value came from it, and the
 * levels allowed:
 *   --log-level: "verbose" is not one of error, warn, info, debug
 */
import { Option } from 'commander';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_LEVEL_ENV = 'STOWAGE_LOG_LEVEL';

/** The option to add to a command: `.addOption(logLevelOption())`; read it with parseLogLevel. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', `least severe level logged: ${LOG_LEVELS.join(', ')}`).env(LOG_LEVEL_ENV).default('info');
}

/**
 * The level, checked. `source` is commander's getOptionValueSource('logLevel'):
 * 'env' when the value came from STOWAGE_LOG_LEVEL, so the message names it.
 * Throws a RangeError otherwise.
 */
export function parseLogLevel(value: string, source?: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  const from = source === 'env' ? `--log-level (from ${LOG_LEVEL_ENV})` : '--log-level';
  throw new RangeError(`${from}: "${value}" is not one of ${LOG_LEVELS.join(', ')}`);
}
