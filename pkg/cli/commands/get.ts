/** `stowctl get KIND [NAME...] [-l SELECTOR] [-w]`, and `get endpoints [NAME...]` (get-endpoints.ts) */
import type { KindInfo } from '../../api/kinds.js';
import type { AnyResource, Event } from '../../api/types.js';
import { listNamespace, type Ctx } from '../context.js';
import { CliError, ExitError, formatError, NotFoundError } from '../errors.js';
import { parseTargets } from '../kinds.js';
import { byNamespaceAndName, getObject, listObjects } from '../objects.js';
import { eventTime } from '../printers/columns.js';
import { formatObjects } from '../printers/output.js';
import { printWatchEvents } from './watch-print.js';
import { endpointsArgs, runGetEndpoints } from './get-endpoints.js';

export function sortForDisplay(kind: KindInfo, items: AnyResource[]): AnyResource[] {
  if (kind.kind === 'Event') {
    // by last seen; at the same millisecond, in the order etcd wrote them
    const t = (e: AnyResource) => Date.parse(eventTime(e as Event) ?? '') || 0;
    const rev = (e: AnyResource) => Number(e.metadata.resourceVersion ?? 0) || 0;
    return [...items].sort((a, b) => t(a) - t(b) || rev(a) - rev(b));
  }
  return [...items].sort(byNamespaceAndName);
}

export interface GetOptions {
  selector?: string;
  watch?: boolean;
  /** Items per page of a list; 0: all in one answer. */
  chunkSize?: number;
}

export async function runGet(ctx: Ctx, args: string[], opts: GetOptions): Promise<void> {
  const ep = endpointsArgs(args);
  if (ep) return runGetEndpoints(ctx, ep, opts);
  const { kind, targets } = parseTargets(args);
  if (!kind) throw new CliError('you must give a kind');
  if (targets.some((t) => t.kind !== kind)) throw new CliError('get shows one kind at a time');
  const namespace = kind.namespaced ? listNamespace(ctx) : undefined;
  const namespaceColumn = kind.namespaced && namespace === undefined;
  let items: AnyResource[] = [];
  let resourceVersion: string | undefined;
  let missing = 0;

  if (targets.length === 0) {
    const list = await listObjects(ctx.client, kind, { namespace, labelSelector: opts.selector, chunkSize: opts.chunkSize });
    items = sortForDisplay(kind, list.items);
    resourceVersion = list.metadata?.resourceVersion;
  } else {
    if (ctx.g.allNamespaces && kind.namespaced) throw new CliError('a name cannot be looked up across all namespaces: drop -A');
    for (const t of targets) {
      try {
        items.push(await getObject(ctx.client, kind, ctx.g.namespace, t.name));
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        ctx.err(formatError(e));
        missing++;
      }
    }
  }

  const table = !ctx.g.output || ctx.g.output === 'wide';
  const printOpts = { kind: kind.kind, output: ctx.g.output, single: targets.length === 1, namespaceColumn, now: ctx.now() };
  if (opts.watch) {
    const names = targets.length ? new Set(targets.map((t) => t.name)) : undefined;
    await printWatchEvents(ctx, kind, items, {
      namespace,
      labelSelector: opts.selector,
      resourceVersion: targets.length ? undefined : resourceVersion,
      names,
      namespaceColumn,
    });
    return;
  }
  if (items.length === 0 && targets.length === 0 && table) {
    ctx.err(kind.namespaced && namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found.\n');
    return;
  }
  // -o json|yaml of a list prints a List even when it is empty (as kubectl does): scripts read `.items`.
  const structured = ctx.g.output === 'json' || ctx.g.output === 'yaml';
  if (items.length > 0 || (structured && targets.length !== 1)) ctx.out(await formatObjects(items, printOpts));
  if (missing) throw new ExitError(1);
}
