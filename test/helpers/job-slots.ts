/**
 * Exactly-once slots, as etcd holds them: a job's JobRuns and their tasks
 * read straight from the store, and an audit of a window of slots.
 *
 *   slot ──► exactly one JobRun named <job>-<slot seconds>:
 *              a run (Pending/Running/Succeeded/Failed) with exactly the tasks its status names
 *              or a record in state Missed (reason counted)
 *            never none, never two, never Skipped (Allow), never a run of another name
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { JOB_LABEL, slotOfRunName } from '../../pkg/api/jobs.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { JobRun, Task } from '../../pkg/api/types.js';
import type { Store } from '../../pkg/store/store.js';
import { ROOT } from './agent.js';

export const JOBRUN = lookupKind('JobRun')!;
const TASKKIND = lookupKind('Task')!;

export interface JobState {
  runs: JobRun[];
  tasks: Task[];
}

/** Every JobRun and Task labelled with the job, as etcd has them now. */
export async function readJob(store: Store, job: string, ns = 'default'): Promise<JobState> {
  const [runs, tasks] = await Promise.all([store.list<JobRun>(JOBRUN, ns), store.list<Task>(TASKKIND, ns)]);
  return {
    runs: runs.items.map((s) => s.object).filter((r) => r.metadata.labels?.[JOB_LABEL] === job || r.spec.job === job),
    tasks: tasks.items.map((s) => s.object).filter((t) => t.metadata.labels?.[JOB_LABEL] === job),
  };
}

export const isRecord = (r: JobRun): boolean => r.status?.state === 'Missed' || r.status?.state === 'Skipped';
export const slotMs = (r: JobRun): number => Date.parse(r.spec.slot ?? '');

export interface Audit {
  /** Slot (ms) -> its JobRuns. */
  bySlot: Map<number, JobRun[]>;
  /** Slots of the window that ran. */
  ran: number[];
  /** Slots of the window recorded Missed, by reason. */
  missed: Map<string, number[]>;
  /** Every breach of exactly-once found, in words; empty when none. */
  problems: string[];
}

const at = (ms: number) => new Date(ms).toISOString();

/**
 * Audit every slot of [fromMs, toMs] (period periodMs, aligned to the
 * epoch, as `* * * * * *` and `*\/2 * * * * *` are), and every run and task
 * of the job wherever its slot lies.
 */
export function auditSlots(job: string, s: JobState, fromMs: number, toMs: number, periodMs: number): Audit {
  const problems: string[] = [];
  const bySlot = new Map<number, JobRun[]>();
  for (const r of s.runs) {
    const name = r.metadata.name;
    const nameSlot = slotOfRunName(job, name)?.getTime();
    if (nameSlot === undefined) problems.push(`${name}: not a slot run (named other than ${job}-<slot seconds>, trigger ${r.spec.trigger})`);
    const slot = slotMs(r);
    if (Number.isNaN(slot)) {
      problems.push(`${name}: no spec.slot`);
      continue;
    }
    if (nameSlot !== undefined && nameSlot !== slot) problems.push(`${name}: its name says slot ${at(nameSlot)}, its spec.slot is ${r.spec.slot}`);
    if (r.status?.slot !== undefined && Date.parse(r.status.slot) !== slot) problems.push(`${name}: status.slot ${r.status.slot} is not spec.slot ${r.spec.slot}`);
    if (slot % periodMs !== 0) problems.push(`${name}: slot ${r.spec.slot} is not on the schedule`);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), r]);
  }

  // each run has exactly the tasks its status names, a record none
  const tasksOf = new Map<string, string[]>();
  const runNames = new Set(s.runs.map((r) => r.metadata.name));
  for (const t of s.tasks) {
    const owner = t.spec.owner?.startsWith('jobrun/') ? t.spec.owner.slice(7) : undefined;
    if (!owner || !runNames.has(owner)) {
      problems.push(`task ${t.metadata.name}: its owner ${t.spec.owner} is not a run of ${job}`);
      continue;
    }
    tasksOf.set(owner, [...(tasksOf.get(owner) ?? []), t.metadata.name]);
  }
  for (const r of s.runs) {
    const name = r.metadata.name;
    const have = (tasksOf.get(name) ?? []).sort();
    const named = [...(r.status?.tasks ?? [])].sort();
    if (isRecord(r)) {
      if (have.length || named.length) problems.push(`${name}: a ${r.status!.state} record with tasks ${JSON.stringify(have)} / status.tasks ${JSON.stringify(named)}`);
      continue;
    }
    if (named.length === 0) problems.push(`${name}: a run whose status names no task`);
    if (JSON.stringify(have) !== JSON.stringify(named)) problems.push(`${name}: tasks ${JSON.stringify(have)}, its status names ${JSON.stringify(named)}`);
    const slotSeconds = String(Math.floor(slotMs(r) / 1000));
    for (const t of s.tasks.filter((x) => x.spec.owner === `jobrun/${name}`)) {
      if (t.spec.env?.STOWAGE_SLOT !== slotSeconds) problems.push(`task ${t.metadata.name}: STOWAGE_SLOT ${t.spec.env?.STOWAGE_SLOT}, its run's slot is ${slotSeconds}`);
    }
  }

  const ran: number[] = [];
  const missed = new Map<string, number[]>();
  for (let slot = fromMs; slot <= toMs; slot += periodMs) {
    const rs = bySlot.get(slot) ?? [];
    if (rs.length === 0) {
      problems.push(`slot ${at(slot)}: neither a run nor a record`);
      continue;
    }
    if (rs.length > 1) {
      problems.push(`slot ${at(slot)}: ${rs.length} JobRuns (${rs.map((r) => `${r.metadata.name} ${r.status?.state}`).join(', ')})`);
      continue;
    }
    const r = rs[0]!;
    if (r.status?.state === 'Missed') missed.set(r.status.reason ?? '?', [...(missed.get(r.status.reason ?? '?') ?? []), slot]);
    else if (r.status?.state === 'Skipped') problems.push(`slot ${at(slot)}: Skipped (${r.status.reason}) under concurrencyPolicy Allow`);
    else ran.push(slot);
  }
  return { bySlot, ran, missed, problems };
}

/** "12 ran, 3 Missed (2 OutsideCatchUpWindow, 1 LeaderDown)" */
export function summary(a: Audit): string {
  const m = [...a.missed.values()].reduce((n, v) => n + v.length, 0);
  const why = [...a.missed].map(([k, v]) => `${v.length} ${k}: ${v.map((s) => new Date(s).toISOString().slice(11, 19)).join(' ')}`).join('; ');
  return `${a.ran.length} ran, ${m} Missed${m ? ` (${why})` : ''}`;
}

/** The servers' logs, whole, in .run/test-logs/<test>-server<i>.log (hack/test.sh shows their ends on failure). */
export function keepLogs(test: string, servers: readonly { output: string[] }[]): string {
  const dir = resolve(ROOT, '.run/test-logs');
  mkdirSync(dir, { recursive: true });
  servers.forEach((s, i) => writeFileSync(resolve(dir, `${test}-server${i}.log`), s.output.join('\n') + '\n'));
  return dir;
}
