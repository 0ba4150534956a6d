/** JSON paths as users read them: `spec.constraints[0]`, `metadata.labels["stowage/owner"]`. */

export type Segment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Append to an already formatted path. */
export function joinPath(base: string, ...more: Segment[]): string {
  const tail = formatPath(more);
  if (base === '') return tail;
  return tail.startsWith('[') || tail === '' ? base + tail : `${base}.${tail}`;
}

/**
 * Split a JSON pointer (ajv's instancePath) into segments, numbers where the
 * data at that point is an array, so `/spec/ports/0` reads `spec.ports[0]`.
 */
export function pointerSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(key);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(key);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** The value at a pointer, or undefined. */
export function valueAt(pointer: string, data: unknown): unknown {
  let cur: unknown = data;
  if (pointer === '') return cur;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
