/**
 * `stowctl logs TASK|RUN [-f] [--tail N]`: a task's output, streamed
 * through the server from its agent. A JobRun's logs are those of its
 * newest task (status.tasks, newest attempt last): NAME is tried as a task
 * first, then as a jobrun.
 */
import { isApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { JobRun } from '../../api/types.js';
import { type Ctx } from '../context.js';
import { CliError } from '../errors.js';
import { objectPath, parseSlashed } from '../kinds.js';

const TASK = lookupKind('Task')!;
const JOBRUN = lookupKind('JobRun')!;

export interface LogsOptions {
  follow?: boolean;
  tail?: number;
}

/** The newest task of a run (its newest attempt), or why it has none. */
function newestTaskOf(run: JobRun): string {
  const task = run.status?.tasks?.at(-1);
  if (task) return task;
  const st = run.status;
  const state = st?.state ?? 'Pending';
  const why = state === 'Pending' ? 'yet (it is Pending)' : `(it is ${state}${st?.reason ? `: ${st.reason}` : ''})`;
  throw new CliError(`jobrun "${run.metadata.name}" has no tasks ${why}`);
}

export async function runLogs(ctx: Ctx, arg: string, opts: LogsOptions): Promise<void> {
  let name = arg;
  let kind: 'task' | 'either' = 'either';
  const ns = ctx.g.namespace;
  if (arg.includes('/')) {
    const t = parseSlashed(arg);
    if (t.kind === JOBRUN) name = newestTaskOf(await ctx.client.get<JobRun>(objectPath(JOBRUN, ns, t.name)));
    else if (t.kind === TASK) name = t.name;
    else throw new CliError(`logs are kept per task: give a task or a jobrun, not ${arg}`);
    kind = 'task';
  }
  const open = (task: string) =>
    ctx.client.open('GET', `${objectPath(TASK, ns, task)}/log`, {
      query: { follow: opts.follow ? 1 : undefined, tail: opts.tail },
      headers: { accept: 'text/plain' },
      signal: ctx.signal,
    });
  let res: Response;
  try {
    try {
      res = await open(name);
    } catch (e) {
      if (kind !== 'either' || !isApiError(e, 'NotFound')) throw e;
      // no task of that name: a jobrun of that name, perhaps
      const run = await ctx.client.get<JobRun>(objectPath(JOBRUN, ns, name)).catch((e2) => {
        if (!isApiError(e2, 'NotFound')) throw e2;
        // neither: say so when the task was missing; else the task's own answer (its agent's 404)
        throw e.message.startsWith(`task "${name}" not found`) ? new CliError(`no task or jobrun "${name}" in namespace "${ns}"`) : e;
      });
      res = await open(newestTaskOf(run));
    }
  } catch (e) {
    if (ctx.signal.aborted) return;
    throw e;
  }
  if (!res.body) return;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) ctx.out(decoder.decode(chunk, { stream: true }));
  } catch (e) {
    if (ctx.signal.aborted) return;
    throw new CliError(`the log stream broke off: ${e instanceof Error ? e.message : String(e)}`);
  }
  ctx.out(decoder.decode());
}
