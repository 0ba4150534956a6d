/**
 * `stowctl job run|suspend|resume|backfill|mark-success`: the jobs
 * subresources (docs/api.md), one request each.
 *
 *   job run NAME [--env K=V ...] [--id ID]    POST jobs/<ns>/NAME/run        jobrun/NAME created | unchanged
 *   job run NAME --slot T                     the run of slot T               jobrun/NAME created | restarted
 *   job suspend NAME [--note TEXT]            POST .../suspend                job/NAME suspended
 *   job resume NAME                           POST .../resume                 job/NAME resumed
 *   job backfill NAME --from T --to T         POST .../backfill               one line per slot
 *   job mark-success RUN                      POST jobruns/<ns>/RUN/mark-success
 *
 * `-o json|yaml` prints the server's answer, `-o name` the objects' names.
 */
import { isoInstant } from '../../api/instant.js';
import { lookupKind } from '../../api/kinds.js';
import type { Job, JobRun, JobRunState } from '../../api/types.js';
import { type Ctx } from '../context.js';
import { CliError } from '../errors.js';
import { objectPath, refOf, singleTarget, type Target } from '../kinds.js';
import { toYamlText } from '../printers/output.js';

export interface RunOptions {
  env?: Record<string, string>;
  id?: string;
  slot?: Date;
}

/** `NAME`, `KIND/NAME` or `KIND NAME` of the kind wanted. */
function target(args: string[], kind: 'job' | 'jobrun'): Target {
  if (args.length > 2 || (args.length === 2 && !lookupKind(args[0]!))) throw new CliError(`expected one ${kind}: ${kind}/NAME or ${kind} NAME`);
  return singleTarget(args.length === 1 && !args[0]!.includes('/') ? [kind, args[0]!] : args, kind);
}

/** POST, returning the HTTP status beside the answer (201 created, 200 already there). */
async function post<T>(ctx: Ctx, path: string, body: unknown): Promise<{ status: number; answer: T }> {
  const res = await ctx.client.open('POST', path, { body, headers: { accept: 'application/json' } });
  return { status: res.status, answer: (await res.json()) as T };
}

/** The answer as -o asks, or these lines. */
async function print(ctx: Ctx, answer: unknown, names: string[], lines: string[]): Promise<void> {
  switch (ctx.g.output) {
    case 'json':
      return ctx.out(JSON.stringify(answer, null, 2) + '\n');
    case 'yaml':
      return ctx.out(await toYamlText(answer));
    case 'name':
      return ctx.out(names.map((n) => `${n}\n`).join(''));
    default:
      ctx.out(lines.map((l) => `${l}\n`).join(''));
  }
}

export async function runJobNow(ctx: Ctx, args: string[], o: RunOptions = {}): Promise<void> {
  const t = target(args, 'job');
  if (o.slot && o.id !== undefined) throw new CliError('--id cannot be given with --slot: the run of a slot is named by its slot');
  if (o.slot && o.env) throw new CliError("--env cannot be given with --slot: the run of a slot runs with the job's own environment");
  const body = o.slot ? { slot: o.slot.toISOString() } : { ...(o.id !== undefined ? { id: o.id } : {}), ...(o.env ? { env: o.env } : {}) };
  const { status, answer: run } = await post<JobRun>(ctx, `${objectPath(t.kind, ctx.g.namespace, t.name)}/run`, body);
  const ref = refOf('JobRun', run.metadata.name);
  const line =
    status === 201 ? `${ref} created`
    : o.slot ? `${ref} restarted (slot ${isoInstant(o.slot)} had not run)`
    : `${ref} unchanged (started before with this --id; it is ${run.status?.state ?? 'Pending'})`;
  await print(ctx, run, [ref], [line]);
}

export async function runSuspend(ctx: Ctx, args: string[], note?: string): Promise<void> {
  const t = target(args, 'job');
  const { answer } = await post<Job>(ctx, `${objectPath(t.kind, ctx.g.namespace, t.name)}/suspend`, note !== undefined ? { note } : {});
  await print(ctx, answer, [refOf(t.kind, t.name)], [`${refOf(t.kind, t.name)} suspended`]);
}

export async function runResume(ctx: Ctx, args: string[]): Promise<void> {
  const t = target(args, 'job');
  const { answer } = await post<Job>(ctx, `${objectPath(t.kind, ctx.g.namespace, t.name)}/resume`, {});
  await print(ctx, answer, [refOf(t.kind, t.name)], [`${refOf(t.kind, t.name)} resumed`]);
}

interface BackfillAnswer {
  runs: { name: string; slot: string; action: 'created' | 'restarted' | 'unchanged'; state: JobRunState }[];
}

export async function runBackfill(ctx: Ctx, args: string[], from: Date, to: Date): Promise<void> {
  const t = target(args, 'job');
  if (from.getTime() > to.getTime()) throw new CliError(`--from ${isoInstant(from)} is after --to ${isoInstant(to)}: the range runs from the older instant to the newer`);
  const { answer } = await post<BackfillAnswer>(ctx, `${objectPath(t.kind, ctx.g.namespace, t.name)}/backfill`, { from: from.toISOString(), to: to.toISOString() });
  const runs = answer.runs ?? [];
  const slot = (s: string) => isoInstant(new Date(s));
  const lines = runs.length
    ? runs.map((r) => `${refOf('JobRun', r.name)} ${r.action} (slot ${slot(r.slot)}${r.action === 'unchanged' ? `, ${r.state}` : ''})`)
    : [`${refOf(t.kind, t.name)} has no slots from ${isoInstant(from)} to ${isoInstant(to)}`];
  await print(ctx, answer, runs.map((r) => refOf('JobRun', r.name)), lines);
}

export async function runMarkSuccess(ctx: Ctx, args: string[]): Promise<void> {
  const t = target(args, 'jobrun');
  const { answer: run } = await post<JobRun>(ctx, `${objectPath(t.kind, ctx.g.namespace, t.name)}/mark-success`, {});
  const ref = refOf(t.kind, t.name);
  await print(ctx, run, [ref], [run.status?.markedSuccess ? `${ref} marked succeeded` : `${ref} unchanged (it succeeded)`]);
}
