/**
 * POST /api/v1/agent/statuses {items: [{uid, namespace, name, status, revision}]}
 *   -> {results: [{result: written, revision} | {result: conflict, revision, status}
 *                 | {result: gone} | {result: retry}]}
 *
 * The agent's batched CAS status writes (pkg/store/task-status-batch.ts),
 * run here for it. A node's token may write only the status of tasks bound
 * to it: the statuses are read first, and an item is written only when the
 * stored status at exactly the revision it compares against names this node
 * (the CAS then guarantees that is the status replaced). An item whose
 * status moved is answered from that read (a conflict to rebase on, or gone
 * when the task is no longer this node's) without a write; an item bound to
 * another node refuses the whole request (403, nothing written).
 */
import { lookupKind } from '../../api/kinds.js';
import type { TaskStatus } from '../../api/types.js';
import { refuseAgentAct } from '../../auth/node-authorizer.js';
import type { Principal } from '../../auth/principal.js';
import { unavailable } from '../../store/errors.js';
import { specKey, statusKey } from '../../store/keys.js';
import type { Store } from '../../store/store.js';
import { writeTaskStatuses, type StatusWrite, type StatusWriteResult } from '../../store/task-status-batch.js';
import { forbidIf } from './sessions.js';

const TASK = lookupKind('Task')!;

export async function writeStatusesFor(store: Store, p: Principal, items: StatusWrite[]): Promise<StatusWriteResult[]> {
  if (p.role === 'admin') return writeTaskStatuses(store, items);
  if (p.role !== 'node') forbidIf(refuseAgentAct(p, { verb: 'write status', task: `${items[0]!.namespace}/${items[0]!.name}`, boundTo: undefined, writes: undefined }));
  const me = p.user;
  const res = await store.client.kv
    .txn({
      compare: [],
      success: items.flatMap((w) => [
        { request_range: { key: Buffer.from(specKey(TASK, w.namespace, w.name)) } },
        { request_range: { key: Buffer.from(statusKey(TASK, w.namespace, w.name)) } },
      ]),
      failure: [],
    })
    .catch((e: unknown) => {
      throw unavailable(e);
    });
  const results: (StatusWriteResult | undefined)[] = [];
  const toWrite: StatusWrite[] = [];
  items.forEach((w, i) => {
    const spec = res.responses[2 * i]?.response_range?.kvs[0];
    const st = res.responses[2 * i + 1]?.response_range?.kvs[0];
    const uid = spec ? (JSON.parse(spec.value.toString()) as { metadata?: { uid?: string } }).metadata?.uid : undefined;
    const stored = st ? (JSON.parse(st.value.toString()) as TaskStatus) : undefined;
    const rev = st ? String(st.mod_revision) : '0';
    const task = `${w.namespace}/${w.name}`;
    if (!spec || uid !== w.uid) {
      results[i] = { result: 'gone' };
    } else if (rev !== w.revision) {
      // moved since the agent read it: it rebases on this, if the task is still its own
      results[i] = stored?.nodeName === me ? { result: 'conflict', revision: rev, status: stored } : { result: 'gone' };
    } else {
      forbidIf(refuseAgentAct(p, { verb: 'write status', task, boundTo: stored?.nodeName, writes: w.status.nodeName }));
      toWrite.push(w);
    }
  });
  const written = toWrite.length > 0 ? await writeTaskStatuses(store, toWrite) : [];
  let j = 0;
  return items.map((w, i) => {
    const r = results[i];
    if (r) return r;
    const out = written[j++]!;
    // raced a writer between the read and the CAS: never hand over another node's status
    if (out.result === 'conflict' && out.status?.nodeName !== me) return { result: 'gone' };
    return out;
  });
}
