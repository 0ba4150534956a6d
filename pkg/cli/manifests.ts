/**
 * `-f FILE|DIR|-`: read every manifest first, parse every document, and
 * only then let the caller send anything. A malformed document fails the
 * whole command with the parser's file:line:column message.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import { CliError } from './errors.js';

export interface Manifest {
  source: string;
  object: AnyResource;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];
const isManifestFile = (name: string) => EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

/** The files a list of -f arguments stands for, in order; `-` is stdin. */
export async function expandPaths(paths: string[], recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new CliError(`the path "${p}" does not exist`);
    if (st.isDirectory()) out.push(...(await listDir(p, recursive)));
    else out.push(p); // a file named explicitly is read whatever its extension
  }
  return out;
}

async function listDir(dir: string, recursive: boolean): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...(await listDir(p, true)));
    } else if (isManifestFile(e.name)) {
      out.push(p);
    }
  }
  return out;
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const parts: string[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? c : c.toString('utf8'));
  return parts.join('');
}

export async function readManifests(
  paths: string[],
  opts: { recursive?: boolean; stdin?: AsyncIterable<Buffer | string> },
): Promise<Manifest[]> {
  const files = await expandPaths(paths, !!opts.recursive);
  const { parseManifests } = await import('../api/yaml.js');
  const out: Manifest[] = [];
  for (const f of files) {
    const source = f === '-' ? '<stdin>' : f;
    let text: string;
    if (f === '-') {
      if (!opts.stdin) throw new CliError('cannot read manifests from stdin here');
      text = await readAll(opts.stdin);
    } else {
      text = await readFile(f, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${f}: ${e.code ?? e.message}`);
      });
    }
    parseManifests(text, source).forEach((doc, i) => out.push(...flatten(doc, source, i + 1)));
  }
  return out;
}

function flatten(doc: unknown, source: string, n: number): Manifest[] {
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CliError(`${source}: document ${n} is not an object (kind, metadata, spec)`);
  }
  const o = doc as { kind?: unknown; items?: unknown };
  if (o.kind === 'List' && Array.isArray(o.items)) return o.items.flatMap((it) => flatten(it, source, n));
  return [{ source, object: doc as AnyResource }];
}

/**
 * Namespaced objects without a namespace get -n's (or "default"). One
 * naming another namespace than an explicit -n is refused, as kubectl does.
 */
export function defaultNamespaces(ms: Manifest[], namespace: string, explicit: boolean): void {
  for (const { source, object } of ms) {
    const kind = typeof object.kind === 'string' ? lookupKind(object.kind) : undefined;
    if (!kind?.namespaced) continue;
    if (!object.metadata || typeof object.metadata !== 'object') continue; // the server says what is missing
    const ns = object.metadata.namespace;
    if (ns === undefined || ns === '') object.metadata.namespace = namespace;
    else if (explicit && ns !== namespace) {
      throw new CliError(
        `${source}: ${kind.singular}/${object.metadata.name} is in namespace "${ns}", not "${namespace}" as -n says; drop -n or pass -n ${ns}`,
      );
    }
  }
}

/** Kind and name of a manifest, for delete -f: both must be there. */
export function identify(m: Manifest): { kind: NonNullable<ReturnType<typeof lookupKind>>; namespace?: string; name: string } {
  const kindName = typeof m.object.kind === 'string' ? m.object.kind : '';
  const kind = lookupKind(kindName);
  if (!kind) throw new CliError(`${m.source}: unknown kind "${kindName}"`);
  const name = m.object.metadata?.name;
  if (typeof name !== 'string' || !name) throw new CliError(`${m.source}: a ${kind.kind} without metadata.name`);
  return { kind, namespace: m.object.metadata.namespace, name };
}
