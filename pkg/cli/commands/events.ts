/** `stowctl events [-w] [--for KIND/NAME]`: what happened, oldest first. */
import type { Command } from 'commander';
import { lookupKind } from '../../api/kinds.js';
import type { AnyResource, Event } from '../../api/types.js';
import { listNamespace, makeCtx, type Ctx, type Deps, type Io } from '../context.js';
import { parseSlashed, type Target } from '../kinds.js';
import { listObjects } from '../objects.js';
import { formatObjects } from '../printers/output.js';
import { sortForDisplay } from './get.js';
import { printWatchEvents } from './watch-print.js';

const EVENT = lookupKind('Event')!;

interface EventsOptions {
  watch?: boolean;
  for?: string;
}

export function registerEvents(program: Command, io: Io, deps: Deps): void {
  program
    .command('events')
    .description('list events, oldest first')
    .option('-w, --watch', 'after listing, print each new event')
    .option('--for <kind/name>', 'only events about this object, e.g. service/hello')
    .action(async (opts: EventsOptions, cmd: Command) => runEvents(makeCtx(cmd, io, deps), opts));
}

export function aboutTarget(t: Target): (o: AnyResource) => boolean {
  return (o) => {
    const io = (o as Event).spec?.involvedObject;
    return !!io && io.name === t.name && lookupKind(io.kind)?.kind === t.kind.kind;
  };
}

export async function runEvents(ctx: Ctx, opts: EventsOptions): Promise<void> {
  const target = opts.for ? parseSlashed(opts.for) : undefined;
  const filter = target ? aboutTarget(target) : () => true;
  const namespace = listNamespace(ctx);
  const list = await listObjects<Event>(ctx.client, EVENT, { namespace });
  const items = sortForDisplay(EVENT, list.items.filter(filter));
  const namespaceColumn = namespace === undefined;
  if (opts.watch) {
    await printWatchEvents(ctx, EVENT, items, { namespace, resourceVersion: list.metadata?.resourceVersion, filter, namespaceColumn });
    return;
  }
  if (items.length === 0 && (!ctx.g.output || ctx.g.output === 'wide')) {
    ctx.err(namespace ? `No events found in ${namespace} namespace.\n` : 'No events found.\n');
    return;
  }
  ctx.out(await formatObjects(items, { kind: 'Event', output: ctx.g.output, namespaceColumn, now: ctx.now() }));
}
