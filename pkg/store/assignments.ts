/**
 * Assignment keys as the agents read them (`/stowage/assignments/<node>/<ns>/<task>`,
 * written by the binding transaction, binding.ts): decoding one, and the
 * batched read of the current statuses a (re)list hands over with them.
 * Shared by the agent on etcd and the servers' agent API.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { lookupKind } from '../api/kinds.js';
import type { Task, TaskStatus } from '../api/types.js';
import { forEachLimit } from '../util/limiter.js';
import { ROOT, statusKey } from './keys.js';

const TASK = lookupKind('Task')!;
export const ASSIGNMENTS_PREFIX = `${ROOT}/assignments/`;
const READS_PER_TXN = 100;

export interface Assignment {
  node: string;
  ns: string;
  name: string;
  /** The task as bound (spec, metadata; status as of binding). */
  task: Task;
  /** The task's status to start from, and the status key's revision for CAS. */
  status: TaskStatus;
  statusRev: string;
}

export function parseAssignmentKey(key: string): { node: string; ns: string; name: string } | undefined {
  if (!key.startsWith(ASSIGNMENTS_PREFIX)) return undefined;
  const parts = key.slice(ASSIGNMENTS_PREFIX.length).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { node: parts[0]!, ns: parts[1]!, name: parts[2]! };
}

/** One assignment key's value; throws when it is not a task. */
export function decodeAssignment(k: { node: string; ns: string; name: string }, value: Buffer | string, modRevision: string): Assignment {
  const task = JSON.parse(value.toString()) as Task;
  // A binding writes the task with its status (and the status key in the same transaction,
  // so the revisions match); a drained kill rewrites it without one: the agent keeps the
  // status it tracks (revision "0" is never newer than a known one).
  if (!task.status) return { ...k, task, status: { state: 'Bound', nodeName: k.node }, statusRev: '0' };
  return { ...k, task, status: task.status, statusRev: modRevision };
}

/** Replace each assignment's status with the task's current one (batched reads). */
export async function withCurrentStatus(client: Etcd3, items: Assignment[]): Promise<void> {
  const chunks: Assignment[][] = [];
  for (let i = 0; i < items.length; i += READS_PER_TXN) chunks.push(items.slice(i, i + READS_PER_TXN));
  await forEachLimit(chunks, 8, async (chunk) => {
    const res = await client.kv.txn({
      compare: [],
      success: chunk.map((a) => ({ request_range: { key: Buffer.from(statusKey(TASK, a.ns, a.name)) } })),
      failure: [],
    });
    chunk.forEach((a, i) => {
      const kv: IKeyValue | undefined = res.responses[i]?.response_range?.kvs[0];
      if (!kv) return;
      a.status = JSON.parse(kv.value.toString()) as TaskStatus;
      a.statusRev = String(kv.mod_revision);
    });
  });
}
