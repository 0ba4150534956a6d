/**
 * `stowctl apply --trace`: where the time goes between an apply and the
 * first container running.
 *
 *   stamp stowage/trace: <id> on every Service of the batch ──► POST /api/v1/apply?trace=1
 *       (the answer: when the server received and wrote it)
 *   follow the tasks of the applied Services that carry <id> (GET, every POLL_MS)
 *       until the first is Running, then until every traced one is (or the timeout)
 *   print the first task's marks (status.trace, api/trace.ts) in order, with the
 *   time spent before each, and when the first and the last container ran
 *
 * Every mark is taken where it happens, by the process that does it; the
 * stowctl marks (sent, Running seen) are this process's clock.
 */
import { randomBytes } from 'node:crypto';
import { lookupKind } from '../../api/kinds.js';
import { OWNER_LABEL } from '../../api/labels.js';
import { TRACE_ANNOTATION, TRACE_STEPS, traceNow, type TraceMarks } from '../../api/trace.js';
import type { AnyResource, Task } from '../../api/types.js';
import type { Ctx } from '../context.js';
import { CliError } from '../errors.js';
import { listObjects } from '../objects.js';

const TASK = lookupKind('Task')!;
const POLL_MS = 20;

export interface TracedService {
  namespace: string;
  name: string;
  instances: number;
}

/** A new trace id, stamped on every Service of the batch; returns it. */
export function stampTrace(objects: AnyResource[]): string {
  const id = randomBytes(6).toString('hex');
  for (const o of objects) {
    if (o.kind !== 'Service') continue;
    o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [TRACE_ANNOTATION]: id };
  }
  return id;
}

/** Follow the traced tasks of `services` and print the timeline of the first one to run. */
export async function followTrace(ctx: Ctx, id: string, services: TracedService[], apply: TraceMarks, timeoutMs: number): Promise<void> {
  if (services.length === 0) {
    ctx.out(`\ntrace ${id}: no Service was created or changed by this apply; nothing to follow\n`);
    return;
  }
  const deadline = Date.now() + timeoutMs;
  const seenRunning = new Map<string, number>();
  let tasks: Task[] = [];
  const want = services.reduce((n, s) => n + s.instances, 0);
  for (;;) {
    tasks = [];
    for (const s of services) {
      const l = await listObjects<Task>(ctx.client, TASK, { namespace: s.namespace, labelSelector: `${OWNER_LABEL}=service/${s.name}`, chunkSize: 0 });
      tasks.push(...l.items.filter((t) => t.metadata.annotations?.[TRACE_ANNOTATION] === id));
    }
    const now = traceNow();
    for (const t of tasks) if (t.status?.state === 'Running' && !seenRunning.has(t.metadata.name)) seenRunning.set(t.metadata.name, now);
    const all = tasks.length >= want && tasks.every((t) => seenRunning.has(t.metadata.name) || isEnded(t));
    if (all) break;
    if (Date.now() > deadline) {
      if (seenRunning.size === 0) throw new CliError(`trace ${id}: no traced task Running after ${Math.round(timeoutMs / 1000)} s (${tasks.length} traced task(s): ${summary(tasks)})`);
      break;
    }
    await ctx.sleep(POLL_MS);
  }
  const running = tasks.filter((t) => seenRunning.has(t.metadata.name));
  const startedAt = (t: Task) => t.status?.trace?.['agent.started'] ?? seenRunning.get(t.metadata.name)!;
  running.sort((a, b) => startedAt(a) - startedAt(b));
  const first = running[0];
  if (!first) throw new CliError(`trace ${id}: no traced task reached Running (${summary(tasks)})`);
  const marks: TraceMarks = { ...apply, ...(first.status?.trace ?? {}), 'cli.running': seenRunning.get(first.metadata.name)! };
  ctx.out(renderTimeline(id, first, marks));
  const t0 = marks['cli.sent']!;
  const last = running[running.length - 1]!;
  ctx.out(`\n  ${running.length} of ${tasks.length} traced task(s) running: the first container at ${ms(startedAt(first) - t0)} ms, the last at ${ms(startedAt(last) - t0)} ms after the apply was sent\n`);
}

const isEnded = (t: Task): boolean => ['Succeeded', 'Failed', 'Killed', 'Lost'].includes(t.status?.state ?? '');

function summary(tasks: Task[]): string {
  const by = new Map<string, number>();
  for (const t of tasks) by.set(t.status?.state ?? 'none', (by.get(t.status?.state ?? 'none') ?? 0) + 1);
  return [...by].map(([s, n]) => `${n} ${s}`).join(', ') || 'none yet';
}

const ms = (x: number): string => x.toFixed(1);

/** The marks in time order: when (since the apply was sent), the time spent before it, who, what. */
export function renderTimeline(id: string, task: Task, marks: TraceMarks): string {
  const t0 = marks['cli.sent'] ?? Math.min(...Object.values(marks));
  const known = new Map(TRACE_STEPS.map((s, i) => [s.mark, { ...s, i }]));
  const rows = Object.entries(marks)
    .map(([mark, at]) => ({ mark, at, step: known.get(mark) }))
    .sort((a, b) => a.at - b.at || (a.step?.i ?? 99) - (b.step?.i ?? 99));
  const lines = [`\ntrace ${id}: task ${task.metadata.namespace ?? 'default'}/${task.metadata.name} on node ${task.status?.nodeName ?? '?'}`];
  lines.push(`  ${'at ms'.padStart(8)}  ${'+ms'.padStart(7)}  ${'who'.padEnd(9)}  what`);
  let prev = t0;
  for (const r of rows) {
    lines.push(`  ${ms(r.at - t0).padStart(8)}  ${ms(r.at - prev).padStart(7)}  ${(r.step?.who ?? '').padEnd(9)}  ${r.step?.what ?? r.mark}`);
    prev = r.at;
  }
  const span = (a: string, b: string) => (marks[a] !== undefined && marks[b] !== undefined ? marks[b]! - marks[a]! : undefined);
  const created = span('cli.sent', 'agent.created');
  const started = span('cli.sent', 'agent.started');
  if (created !== undefined && started !== undefined) lines.push(`  apply -> container created ${ms(created)} ms, -> running ${ms(started)} ms`);
  return lines.join('\n') + '\n';
}
