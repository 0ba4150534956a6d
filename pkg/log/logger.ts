/**
 * The logger every component takes: a small interface (so tests can capture
 * what was logged) with a winston implementation writing one JSON object per
 * line to stderr.
 */
import winston from 'winston';

export type Meta = Record<string, unknown>;

export interface Logger {
  debug(message: string, meta?: Meta): void;
  info(message: string, meta?: Meta): void;
  warn(message: string, meta?: Meta): void;
  error(message: string, meta?: Meta): void;
  /** A logger that adds meta to every line. */
  child(meta: Meta): Logger;
}

export function newLogger(opts: { level?: string; component: string }): Logger {
  const w = winston.createLogger({
    level: opts.level ?? process.env.STOWAGE_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    defaultMeta: { component: opts.component },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return wrap(w);
}

function wrap(w: winston.Logger): Logger {
  return {
    debug: (m, meta) => w.debug(m, meta),
    info: (m, meta) => w.info(m, meta),
    warn: (m, meta) => w.warn(m, meta),
    error: (m, meta) => w.error(m, meta),
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
