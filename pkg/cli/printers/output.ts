/** `-o json|yaml|name|wide` and the default table, for a list of objects. */
import type { AnyResource } from '../../api/types.js';
import { API_VERSION } from '../../api/types.js';
import { refOf } from '../kinds.js';
import { tableFor } from './columns.js';
import { renderTable } from './table.js';
import type { OutputFormat } from './formats.js';

export type { OutputFormat } from './formats.js';

export function asList(items: AnyResource[]): { apiVersion: string; kind: 'List'; items: AnyResource[] } {
  return { apiVersion: API_VERSION, kind: 'List', items };
}

/** yaml.ts pulls in js-yaml: loaded only when asked for. */
export async function toYamlText(obj: unknown): Promise<string> {
  const { toYaml } = await import('../../api/yaml.js');
  const s = toYaml(obj);
  return s.endsWith('\n') ? s : s + '\n';
}

export interface PrintOptions {
  kind: string;
  output?: OutputFormat;
  /** One object asked for by name: print it, not a List. */
  single?: boolean;
  namespaceColumn?: boolean;
  now: Date;
}

export async function formatObjects(objs: AnyResource[], opts: PrintOptions): Promise<string> {
  const one = opts.single && objs.length === 1 ? objs[0] : undefined;
  switch (opts.output) {
    case 'json':
      return JSON.stringify(one ?? asList(objs), null, 2) + '\n';
    case 'yaml':
      return toYamlText(one ?? asList(objs));
    case 'name':
      return objs.map((o) => refOf(o.kind || opts.kind, o.metadata.name) + '\n').join('');
    default: {
      const t = tableFor(opts.kind, { wide: opts.output === 'wide', namespaceColumn: opts.namespaceColumn });
      return renderTable(t.header, objs.map((o) => t.row(o, opts.now)));
    }
  }
}
