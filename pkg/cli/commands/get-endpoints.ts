/**
 * `stowctl get endpoints [NAME...]`: the ready instances of each service port,
 * as the server derives them (endpoints are not a stored kind: no -l, no -w).
 *
 *   no name  GET /api/v1/endpoints[?namespace=NS]   every service with ports
 *   NAME     GET /api/v1/services/<ns>/<name>/endpoints
 */
import { isApiError } from '../../api/errors.js';
import type { Endpoints } from '../../api/types.js';
import { listNamespace, type Ctx } from '../context.js';
import { CliError, ExitError, formatError, NotFoundError } from '../errors.js';
import type { List } from '../objects.js';
import { endpointsTable } from '../printers/endpoints.js';
import { toYamlText } from '../printers/output.js';

export const ENDPOINTS_NAMES = new Set(['endpoints', 'endpoint', 'ep']);

/** `endpoints`, `ep` or `endpoints/NAME` ...: the endpoints form of get, or undefined. */
export function endpointsArgs(args: string[]): string[] | undefined {
  const first = args[0]?.toLowerCase() ?? '';
  if (ENDPOINTS_NAMES.has(first)) return args.slice(1);
  if (args.length > 0 && args.every((a) => ENDPOINTS_NAMES.has(a.slice(0, a.indexOf('/')).toLowerCase()))) return args.map((a) => a.slice(a.indexOf('/') + 1));
  return undefined;
}

export async function runGetEndpoints(ctx: Ctx, names: string[], opts: { selector?: string; watch?: boolean }): Promise<void> {
  if (opts.selector) throw new CliError('endpoints have no labels: -l does not apply (give service names instead)');
  if (opts.watch) throw new CliError('stowctl get endpoints does not watch; GET /api/v1/endpoints?watch=1 streams the changes');
  const namespace = listNamespace(ctx);
  let items: Endpoints[] = [];
  let missing = 0;
  if (names.length === 0) {
    const list = await ctx.client.get<List<Endpoints>>('/api/v1/endpoints', { namespace });
    items = Array.isArray(list?.items) ? list.items : [];
  } else {
    if (ctx.g.allNamespaces) throw new CliError('a name cannot be looked up across all namespaces: drop -A');
    const ns = ctx.g.namespace;
    for (const n of names) {
      try {
        items.push(await ctx.client.get<Endpoints>(`/api/v1/services/${encodeURIComponent(ns)}/${encodeURIComponent(n)}/endpoints`));
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
        ctx.err(formatError(new NotFoundError(`service "${n}" not found in namespace "${ns}"`)));
        missing++;
      }
    }
  }
  const one = names.length === 1 && items.length === 1 ? items[0] : undefined;
  const list = { apiVersion: 'stowage/v1', kind: 'List', items };
  switch (ctx.g.output) {
    case 'json':
      ctx.out(JSON.stringify(one ?? list, null, 2) + '\n');
      break;
    case 'yaml':
      ctx.out(await toYamlText(one ?? list));
      break;
    case 'name':
      ctx.out(items.map((e) => `endpoints/${e.metadata.name}\n`).join(''));
      break;
    default:
      if (items.length === 0 && names.length === 0) {
        ctx.err(namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found.\n');
        return;
      }
      if (items.length > 0) ctx.out(endpointsTable(items, { namespaceColumn: namespace === undefined, wide: ctx.g.output === 'wide' }));
  }
  if (missing) throw new ExitError(1);
}
