/**
 * Instants as users write them for the jobs subresources and stowctl's
 * `--slot`, `--from` and `--to` (pure):
 *
 *   2026-12-01T00:00:00Z, 2026-12-01T01:00+01:00, ...   ISO 8601 with a zone
 *   1796083200  (a JSON number or a string of digits)   unix seconds
 *
 * A date-time without a zone is refused: the server and the user may not
 * share a local time.
 */

export const INSTANT_RULE = 'an ISO 8601 date-time with a zone (such as 2026-12-01T00:00:00Z) or unix seconds';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;
/** The last second a Date can hold. */
const MAX_UNIX_SECONDS = 8.64e12;

const shown = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 40)}...` : v) : JSON.stringify(v);
  return s === undefined ? String(v) : s;
};

/** The instant v names, or the reason it names none (`must be ..., got "x"`). */
export function parseInstant(v: unknown): Date | { error: string } {
  const bad = { error: `must be ${INSTANT_RULE}, got ${shown(v)}` };
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 && v <= MAX_UNIX_SECONDS ? new Date(v * 1000) : bad;
  if (typeof v !== 'string') return bad;
  if (/^\d{1,13}$/.test(v)) return Number(v) <= MAX_UNIX_SECONDS ? new Date(Number(v) * 1000) : bad;
  const m = ISO_RE.exec(v);
  if (!m) return bad;
  const [, y, mo, d, h, mi, s = '0', frac = '', z, sign, oh, om] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s, ms);
  const probe = new Date(wall);
  // Date.UTC rolls Feb 30 over to March and 24:00 to the next day: compare the fields back
  if (probe.getUTCFullYear() !== +y! || probe.getUTCMonth() !== +mo! - 1 || probe.getUTCDate() !== +d! || probe.getUTCHours() !== +h! || probe.getUTCMinutes() !== +mi! || probe.getUTCSeconds() !== +s) {
    return bad;
  }
  if (z) return probe;
  if (+oh! > 23 || +om! > 59) return bad;
  const offset = (sign === '-' ? -1 : 1) * (+oh! * 60 + +om!) * 60_000;
  return new Date(wall - offset);
}

/** ISO 8601 in UTC, without milliseconds when there are none: `2026-12-01T00:00:00Z`. */
export function isoInstant(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}
