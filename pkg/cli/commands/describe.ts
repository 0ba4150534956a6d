/** `stowctl describe KIND [NAME...]` (no name: every object of the kind in the namespace). */
import { lookupKind } from '../../api/kinds.js';
import type { AnyResource, Endpoints, Job, Service } from '../../api/types.js';
import { type Ctx } from '../context.js';
import { CliError, ExitError, formatError, NotFoundError, UnreachableError } from '../errors.js';
import { parseTargets } from '../kinds.js';
import { byNamespaceAndName, getObject, listObjects } from '../objects.js';
import { describe, type Related } from '../printers/describe.js';
import { eventsFor, runsOfJob, tasksOfOwner } from '../related.js';

const JOB = lookupKind('Job')!;

async function related(ctx: Ctx, o: AnyResource): Promise<Related> {
  const r: Related = { notes: [] };
  const ns = o.metadata.namespace;
  // Best effort: the object itself was found; a failed side listing is a note.
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      r.notes!.push(`(${what} unavailable: ${e instanceof Error ? e.message : String(e)})`);
    }
  };
  if (o.kind === 'Service') await attempt('tasks', async () => void (r.tasks = await tasksOfOwner(ctx.client, ns, `service/${o.metadata.name}`)));
  if (o.kind === 'Service' && (o as Service).spec?.ports?.length) {
    const path = `/api/v1/services/${encodeURIComponent(ns ?? 'default')}/${encodeURIComponent(o.metadata.name)}/endpoints`;
    await attempt('endpoints', async () => void (r.endpoints = await ctx.client.get<Endpoints>(path)));
  }
  if (o.kind === 'JobRun') await attempt('tasks', async () => void (r.tasks = await tasksOfOwner(ctx.client, ns, `jobrun/${o.metadata.name}`)));
  if (o.kind === 'Job') await attempt('runs', async () => void (r.runs = await runsOfJob(ctx.client, ns, o.metadata.name)));
  if (o.kind === 'Job') await attempt('children', async () => void (r.jobs = (await listObjects<Job>(ctx.client, JOB, { namespace: ns })).items));
  if (o.kind !== 'Event') await attempt('events', async () => void (r.events = await eventsFor(ctx.client, o)));
  return r;
}

export async function runDescribe(ctx: Ctx, args: string[]): Promise<void> {
  const { kind, targets } = parseTargets(args);
  if (!kind) throw new CliError('you must give a kind');
  let objs: AnyResource[] = [];
  let missing = 0;
  if (targets.length === 0) {
    objs = (await listObjects(ctx.client, kind, { namespace: ctx.g.allNamespaces ? undefined : ctx.g.namespace })).items.sort(byNamespaceAndName);
    if (objs.length === 0) {
      ctx.err(kind.namespaced ? `No resources found in ${ctx.g.namespace} namespace.\n` : 'No resources found.\n');
      return;
    }
  } else {
    for (const t of targets) {
      try {
        objs.push(await getObject(ctx.client, t.kind, ctx.g.namespace, t.name));
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        ctx.err(formatError(e));
        missing++;
      }
    }
  }
  let first = true;
  for (const o of objs) {
    if (!first) ctx.out('\n\n');
    first = false;
    ctx.out(describe(o, await related(ctx, o), ctx.now()));
  }
  if (missing) throw new ExitError(1);
}
