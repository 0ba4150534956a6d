/**
 * Manifests in, YAML out. Input is untrusted (it arrives over HTTP):
 *
 *   text -> js-yaml loadAll (aliases per document capped, depth capped)
 *        -> every document: skip empty, refuse non-mappings, unwrap `kind: List`
 *        -> refuse alias bombs (expanded size capped) and cycles
 *
 * Errors are ApiError BadRequest: `<source>: line L, column C: <reason>`
 * (1-based), or `<source>: document N: <reason>` when there is no position.
 */
import { loadAll, dump, YAMLException } from 'js-yaml';
import { ApiError } from './errors.js';

export interface ManifestLimits {
  /** Documents (after unwrapping Lists) per text. */
  maxDocuments: number;
  /** Alias nodes (`*ref`) per document. */
  maxAliases: number;
  /** Nodes per document with every alias expanded; what a billion-laughs bomb inflates. */
  maxExpandedNodes: number;
  /** Nesting depth of collections. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ManifestLimits> = {
  maxDocuments: 10_000,
  maxAliases: 1_000,
  maxExpandedNodes: 1_000_000,
  maxDepth: 64,
};

function bad(message: string): ApiError {
  return new ApiError('BadRequest', message, [{ field: '', rule: 'yaml', message }]);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}

/**
 * Nodes in v with aliases expanded, counted without expanding: js-yaml
 * returns an alias as the same object, so each object's size is memoised.
 * Throws on a cycle (`&a [*a]`) or past the limit.
 */
function expandedSize(v: unknown, limit: number, memo: Map<object, number>, onPath: Set<object>): number {
  if (v === null || typeof v !== 'object') return 1;
  const known = memo.get(v);
  if (known !== undefined) return known;
  if (onPath.has(v)) throw new Error('an alias refers to a node that contains it (recursive alias)');
  onPath.add(v);
  let n = 1;
  for (const child of Object.values(v)) {
    n += expandedSize(child, limit, memo, onPath);
    if (n > limit) throw new Error(`too big with aliases expanded (over ${limit} nodes); alias bombs are refused`);
  }
  onPath.delete(v);
  memo.set(v, n);
  return n;
}

/**
 * Parse a multi-document YAML (or JSON) text into objects: empty documents
 * skipped, `kind: List` unwrapped to its items. source names the text in
 * errors (a file name, "stdin", "request body").
 */
export function parseManifests(text: string, source: string, limits: Partial<ManifestLimits> = {}): unknown[] {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  let docs: unknown[];
  try {
    docs = loadAll(text, { maxAliases: lim.maxAliases, maxDepth: lim.maxDepth, filename: source });
  } catch (e) {
    if (e instanceof YAMLException) {
      const at = e.mark ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}: ` : '';
      throw bad(`${source}: ${at}${e.reason}`);
    }
    throw bad(`${source}: ${(e as Error).message}`);
  }
  const out: unknown[] = [];
  docs.forEach((doc, i) => {
    const where = `${source}: document ${i + 1}`;
    if (doc === null || doc === undefined) return;
    try {
      expandedSize(doc, lim.maxExpandedNodes, new Map(), new Set());
    } catch (e) {
      throw bad(`${where}: ${(e as Error).message}`);
    }
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw bad(`${where}: must be a mapping (apiVersion, kind, metadata, spec), got ${kindOf(doc)}`);
    const o = doc as Record<string, unknown>;
    if (o.kind === 'List') {
      if (!Array.isArray(o.items)) throw bad(`${where}: a List needs items, a list of objects`);
      o.items.forEach((item, j) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item))
          throw bad(`${where}: items[${j}]: must be a mapping (apiVersion, kind, metadata, spec), got ${kindOf(item)}`);
        out.push(item);
      });
    } else out.push(o);
    if (out.length > lim.maxDocuments) throw bad(`${source}: more than ${lim.maxDocuments} documents`);
  });
  return out;
}

/** YAML for printing (`get -o yaml`): block style, no anchors, keys in insertion order. */
export function toYaml(obj: unknown): string {
  return dump(obj, { noRefs: true, lineWidth: -1 });
}

/** Several objects as one multi-document stream. */
export function toYamlDocuments(objs: readonly unknown[]): string {
  return objs.map((o) => toYaml(o)).join('---\n');
}
