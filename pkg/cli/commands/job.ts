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
import { type Command, InvalidArgumentError } from 'commander';
import { isoInstant } from '../../api/instant.js';
import { lookupKind } from '../../api/kinds.js';
import type { Job, JobRun, JobRunState } from '../../api/types.js';
import { makeCtx, type Ctx, type Deps, type Io } from '../context.js';
import { CliError } from '../errors.js';
import { instantFlag } from '../flags.js';
import { objectPath, refOf, singleTarget, type Target } from '../kinds.js';
import { toYamlText } from '../printers/output.js';

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const RUN_ID_MAX = 253;

/** `--env NAME=value`, repeatable: the pairs so far plus this one. */
export function envPair(value: string, prev: Record<string, string> | undefined): Record<string, string> {
  const i = value.indexOf('=');
  if (i < 0) throw new InvalidArgumentError(`--env must be NAME=value, got "${value}"`);
  const name = value.slice(0, i);
  if (!ENV_NAME_RE.test(name)) {
    throw new InvalidArgumentError(`--env: "${name}" is not an environment variable name (a letter or '_', then letters, digits, '_', '.' or '-')`);
  }
  return { ...(prev ?? {}), [name]: value.slice(i + 1) };
}

function runId(value: string): string {
  if (value.length < 1 || value.length > RUN_ID_MAX) throw new InvalidArgumentError(`--id must be 1 to ${RUN_ID_MAX} characters, got ${value.length}`);
  return value;
}

export interface RunOptions {
  env?: Record<string, string>;
  id?: string;
  slot?: Date;
}

export function registerJob(program: Command, io: Io, deps: Deps): void {
  const job = program.command('job').description('run, suspend, resume or backfill a job; mark a failed run succeeded');
  job
    .command('run')
    .description('start a run of a job now, or the run of one of its slots (--slot)')
    .argument('<job...>', 'job NAME or job/NAME')
    .option('--env <NAME=value>', 'extra environment for this run only (repeatable)', envPair)
    .option('--id <id>', 'the same id again finds the run it started instead of starting another (1 to 253 characters)', runId)
    .option('--slot <time>', 'run this slot of the schedule (one that was missed or skipped): ISO 8601 with a zone, or unix seconds', instantFlag('--slot'))
    .action(async (args: string[], o: RunOptions, cmd: Command) => runJobNow(makeCtx(cmd, io, deps), args, o));
  job
    .command('suspend')
    .description('start no new runs of a job (runs already started go on)')
    .argument('<job...>', 'job NAME or job/NAME')
    .option('--note <text>', 'why (shown by describe)')
    .action(async (args: string[], o: { note?: string }, cmd: Command) => runSuspend(makeCtx(cmd, io, deps), args, o.note));
  job
    .command('resume')
    .description('run a suspended job on its schedule again')
    .argument('<job...>', 'job NAME or job/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => runResume(makeCtx(cmd, io, deps), args));
  job
    .command('backfill')
    .description('run every slot of a job between two instants that has not run (at most 1000)')
    .argument('<job...>', 'job NAME or job/NAME')
    .requiredOption('--from <time>', 'the oldest instant of the range: ISO 8601 with a zone, or unix seconds', instantFlag('--from'))
    .requiredOption('--to <time>', 'the newest instant of the range (included)', instantFlag('--to'))
    .action(async (args: string[], o: { from: Date; to: Date }, cmd: Command) => runBackfill(makeCtx(cmd, io, deps), args, o.from, o.to));
  job
    .command('mark-success')
    .description("count a failed run as succeeded, so the job's children go on")
    .argument('<run...>', 'jobrun NAME or jobrun/NAME')
    .action(async (args: string[], _o: object, cmd: Command) => runMarkSuccess(makeCtx(cmd, io, deps), args));
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
