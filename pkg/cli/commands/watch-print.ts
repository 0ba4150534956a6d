/**
 * `get -w` and `events -w`: print what is there, then one row (or one
 * object with -o json|yaml|name) per change, until Ctrl-C.
 */
import type { KindInfo } from '../../api/kinds.js';
import type { AnyResource } from '../../api/types.js';
import type { Ctx } from '../context.js';
import { refOf } from '../kinds.js';
import { tableFor } from '../printers/columns.js';
import { toYamlText } from '../printers/output.js';
import { StreamingTable } from '../printers/table.js';
import { watchKind, type WatchEvent } from '../watch.js';

export interface WatchPrintOptions {
  namespace?: string;
  labelSelector?: string;
  resourceVersion?: string;
  /** Only these names (get -w NAME). */
  names?: Set<string>;
  /** Any other filter (events --for). */
  filter?: (o: AnyResource) => boolean;
  namespaceColumn: boolean;
}

export async function printWatchEvents(ctx: Ctx, kind: KindInfo, initial: AnyResource[], o: WatchPrintOptions): Promise<void> {
  const output = ctx.g.output;
  const t = tableFor(kind.kind, { wide: output === 'wide', namespaceColumn: o.namespaceColumn });
  const table = new StreamingTable(t.header, (s) => ctx.out(s));
  const print = async (obj: AnyResource) => {
    switch (output) {
      case 'json':
        ctx.out(JSON.stringify(obj, null, 2) + '\n');
        break;
      case 'yaml':
        ctx.out('---\n' + (await toYamlText(obj)));
        break;
      case 'name':
        ctx.out(refOf(kind, obj.metadata.name) + '\n');
        break;
      default:
        table.row(t.row(obj, ctx.now()));
    }
  };
  if (!output || output === 'wide') table.start(initial.map((x) => t.row(x, ctx.now())));
  else for (const x of initial) await print(x);

  // Without a list revision to start from (or after a re-list), the stream
  // opens with an ADDED per object: skip those already printed as they are.
  const seen = new Map(initial.map((x) => [key(x), x.metadata.resourceVersion]));
  const stream = watchKind(ctx.client, kind, {
    namespace: o.namespace,
    labelSelector: o.labelSelector,
    resourceVersion: o.resourceVersion,
    signal: ctx.signal,
    sleep: (ms) => ctx.sleep(ms),
    onReconnect: (why) => ctx.err(`watch: ${why}; reconnecting\n`),
  });
  for await (const ev of stream) {
    if (!wanted(ev, o)) continue;
    const k = key(ev.object);
    if (ev.type === 'ADDED' && seen.has(k) && seen.get(k) === ev.object.metadata.resourceVersion) continue;
    seen.set(k, ev.object.metadata.resourceVersion);
    await print(ev.object);
  }
}

const key = (o: AnyResource) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function wanted(ev: WatchEvent, o: WatchPrintOptions): boolean {
  if (o.names && !o.names.has(ev.object.metadata.name)) return false;
  if (o.filter && !o.filter(ev.object)) return false;
  return true;
}
