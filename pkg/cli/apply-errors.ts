/**
 * The server validates an apply batch as a whole and numbers the failing
 * documents (`details[].document`, 1-based, in the order sent). Only the
 * CLI knows which file each came from: put that back into the error.
 */
import { ApiError, type ErrorDetail } from '../api/errors.js';
import { detailLine } from './errors.js';
import type { Manifest } from './manifests.js';

interface BatchDetail extends ErrorDetail {
  document?: number;
  object?: string;
}

/** "hello.yaml document 2": the nth object read from that file. */
export function positions(ms: Manifest[]): string[] {
  const perFile = new Map<string, number>();
  return ms.map((m) => {
    const n = (perFile.get(m.source) ?? 0) + 1;
    perFile.set(m.source, n);
    return `${m.source} document ${n}`;
  });
}

/** The rule's own words: `must be >= 0`, without the server's `document 2 (...): field: ` prefix. */
function bare(d: BatchDetail): string {
  let m = d.message;
  if (d.object) {
    const i = m.indexOf(`(${d.object}): `);
    if (i >= 0) m = m.slice(i + d.object.length + 4);
  }
  if (d.field && m.startsWith(`${d.field}: `)) m = m.slice(d.field.length + 2);
  return detailLine({ ...d, message: m });
}

export function withSources(e: unknown, ms: Manifest[]): unknown {
  if (!(e instanceof ApiError)) return e;
  const details = e.details as BatchDetail[];
  if (details.length === 0 || !details.every((d) => typeof d.document === 'number')) return e;
  const pos = positions(ms);
  const where = (d: BatchDetail) => `${pos[d.document! - 1] ?? `document ${d.document}`}${d.object ? ` (${d.object})` : ''}`;
  const docs = new Set(details.map((d) => d.document));
  if (docs.size === 1) {
    const d0 = details[0]!;
    return new ApiError(e.code, `${where(d0)} is invalid`, details.map((d) => ({ field: '', rule: d.rule, message: bare(d) })));
  }
  return new ApiError(
    e.code,
    `${docs.size} of ${ms.length} objects are invalid`,
    details.map((d) => ({ field: '', rule: d.rule, message: `${where(d)}: ${bare(d)}` })),
  );
}
