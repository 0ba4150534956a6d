/**
 * `stowctl events [--for KIND/NAME] [-w]`: what happened, oldest first, by
 * when it was last seen (kubectl events).
 *
 *   LAST SEEN  TYPE  REASON  OBJECT  COUNT  MESSAGE       (-o wide: SOURCE, FIRST SEEN before MESSAGE)
 *
 * An Event is a series: the same reason on the same object is one row whose
 * COUNT goes up. `--for service/NAME` (or job/NAME) asks the API for the
 * events labelled with that service (pkg/api/event-labels.ts): the service's
 * own and its tasks', so one listing tells a rollout or a node loss from
 * start to end; `--for` any other object shows that object's. `-w` then
 * prints each new or updated event as it is written.
 */
import { eventSelectorFor } from '../../api/event-labels.js';
import { lookupKind } from '../../api/kinds.js';
import type { Event } from '../../api/types.js';
import { listNamespace, type Ctx } from '../context.js';
import { CliError } from '../errors.js';
import { parseSlashed } from '../kinds.js';
import { listObjects } from '../objects.js';
import { formatObjects } from '../printers/output.js';
import { sortForDisplay } from './get.js';
import { printWatchEvents } from './watch-print.js';

const EVENT = lookupKind('Event')!;

export interface EventsOptions {
  watch?: boolean;
  for?: string;
}

/** The label selector of `--for KIND/NAME`; a bad value is an error naming the flag. */
export function forSelector(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const t = parseSlashed(value);
    return eventSelectorFor(t.kind.kind, t.name);
  } catch (e) {
    throw new CliError(`invalid --for: ${(e as Error).message}`);
  }
}

export async function runEvents(ctx: Ctx, opts: EventsOptions): Promise<void> {
  const labelSelector = forSelector(opts.for);
  const namespace = listNamespace(ctx);
  const list = await listObjects<Event>(ctx.client, EVENT, { namespace, labelSelector });
  const items = sortForDisplay(EVENT, list.items);
  const namespaceColumn = namespace === undefined;
  if (opts.watch) {
    await printWatchEvents(ctx, EVENT, items, { namespace, labelSelector, resourceVersion: list.metadata?.resourceVersion, namespaceColumn });
    return;
  }
  if (items.length === 0 && (!ctx.g.output || ctx.g.output === 'wide')) {
    ctx.err(namespace ? `No events found in ${namespace} namespace.\n` : 'No events found.\n');
    return;
  }
  ctx.out(await formatObjects(items, { kind: 'Event', output: ctx.g.output, namespaceColumn, now: ctx.now() }));
}
