/** Plain-words formatting shared by the views. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  return span(now - t, 'ago');
}

export function until(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  return t >= now ? `in ${span(t - now, '')}`.trim() : span(now - t, 'ago');
}

function span(ms: number, suffix: string): string {
  const s = Math.round(ms / 1000);
  const v = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  return suffix ? `${v} ${suffix}` : v;
}

export const time = (iso: string | undefined): string => (iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');

export const num = (n: number | undefined): string => (n === undefined ? '—' : String(Math.round(n * 100) / 100));
