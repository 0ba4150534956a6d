/** Flag values checked up front, with messages that name the flag. */

export function parseHostPort(flag: string, v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new RangeError(`${flag}: "${v}" is not HOST:PORT (e.g. 127.0.0.1:7070)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function parseSeconds(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !Number.isFinite(n) || n < min) {
    throw new RangeError(`${flag}: "${v}" must be a number of seconds >= ${min}`);
  }
  return n;
}

export function parseShare(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v.trim()) || n < 0 || n > 1) throw new RangeError(`${flag}: "${v}" must be a number from 0 to 1`);
  return n;
}

/** An integer flag with a floor (e.g. --etcd-max-txn-ops, which may only match an etcd that allows more). */
export function parseInteger(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min) throw new RangeError(`${flag}: "${v}" must be a whole number >= ${min}`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, Ki: 1 << 10, Mi: 1 << 20, Gi: 1 << 30 };

/** A size in bytes: 8388608, 512Ki, 8Mi, 1Gi. */
export function parseBytes(flag: string, v: string, min: number): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(v.trim());
  const n = m ? Number(m[1]) * UNITS[m[2] ?? '']! : NaN;
  if (!m || !Number.isSafeInteger(n) || n < min) throw new RangeError(`${flag}: "${v}" must be a size in bytes >= ${min} (e.g. 8Mi, 512Ki, 1048576)`);
  return n;
}

/** A number with a floor, for flags that are not seconds: `what` says what it counts (e.g. "requests a second"). */
export function parseNumber(flag: string, v: string, min: number, what: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !Number.isFinite(n) || n < min) throw new RangeError(`${flag}: "${v}" must be a number of ${what} >= ${min}`);
  return n;
}

/** One of a few words (e.g. --metrics-auth none|token). */
export function parseChoice<T extends string>(flag: string, v: string, choices: readonly T[]): T {
  if (!choices.includes(v as T)) throw new RangeError(`${flag}: "${v}" must be one of ${choices.join(', ')}`);
  return v as T;
}

/** Whether a --listen host is loopback only: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  return v4 !== null && v4[1] === '127' && v4.slice(1).every((o) => Number(o) <= 255);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds: 5m, 30s, 1h, 500ms, 1m30s; a bare number is seconds; 0 is 0. */
export function parseDuration(flag: string, v: string): number {
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw new RangeError(`${flag}: "${v}" must be a duration such as 5m, 30s, 1h or 1m30s (0 = off)`);
  }
  return parts.reduce((n, p) => n + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
}
