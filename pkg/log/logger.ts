/**
 * The logger every component takes: a small interface (so tests can capture
 * what was logged) with a winston implementation writing one JSON object per
 * line to stderr:
 *
 *   {"component":"server","level":"warn","loop":"services","key":"default/web",
 *    "message":"reconcile failed; retrying with backoff","error":"...","timestamp":"..."}
 *
 * Context travels in child loggers, under these names wherever they apply:
 *   component  server | agent (the process)
 *   loop       the reconcile loop (scheduler, services, jobs, nodes, gc)
 *   key        the work queue key a loop reconciles (namespace/name, or "cycle")
 *   reconcileId  one reconcile, on each of its lines
 *   task       namespace/name of a task
 *   node       the node a line is about (the agent's node, a placement's node)
 */
import winston from 'winston';
import type { LogLevel } from './level.js';

export type Meta = Record<string, unknown>;

export interface Logger {
  debug(message: string, meta?: Meta): void;
  info(message: string, meta?: Meta): void;
  warn(message: string, meta?: Meta): void;
  error(message: string, meta?: Meta): void;
  /** A logger that adds meta to every line. */
  child(meta: Meta): Logger;
}

/** A JSON-lines logger on stderr; `level` (LogLevel) is checked by the command first: parseLogLevel, pkg/log/level.ts. */
export function newLogger(opts: { level: LogLevel | string; component: string }): Logger {
  const w = winston.createLogger({
    level: opts.level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    defaultMeta: { component: opts.component },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return wrap(w);
}

/**
 * winston formats every line (timestamp, JSON) before its transport drops
 * the ones under its level: a line under the level is dropped here first,
 * so a debug line per reconcile or per bound task costs nothing at info.
 */
function wrap(w: winston.Logger): Logger {
  return {
    debug: (m, meta) => void (w.isDebugEnabled() && w.debug(m, meta)),
    info: (m, meta) => void (w.isInfoEnabled() && w.info(m, meta)),
    warn: (m, meta) => void (w.isWarnEnabled() && w.warn(m, meta)),
    error: (m, meta) => void (w.isErrorEnabled() && w.error(m, meta)),
    child: (meta) => wrap(w.child(meta)),
  };
}

/** A logger that keeps lines in memory: for tests. */
export function memoryLogger(lines: { level: string; message: string; meta?: Meta }[] = [], base: Meta = {}): Logger & { lines: typeof lines } {
  const at = (level: string) => (message: string, meta?: Meta) => lines.push({ level, message, meta: { ...base, ...meta } });
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (meta) => memoryLogger(lines, { ...base, ...meta }),
  };
}

/** A logger that drops everything. */
export const nopLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => nopLogger,
};

export const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
