/**
 * GET /api/v1/agent/assignments?node=N[,N...] | prefix=P [&resourceVersion=R]:
 * an agent's assignments as Server-Sent Events, from the server's shared
 * watch (assignments-hub.ts).
 *
 *   event: snapshot  {revision, items: [assignment], last}   everything assigned (in parts)
 *   event: changes   {revision, changes: [{type: put, assignment} | {type: delete, node, namespace, name}]}
 *   event: progress  {revision}                              every 10 s: nothing of the stream's nodes
 *                                                            changed up to it (a dead connection shows)
 *
 * An assignment is {node, namespace, name, task, status, statusRev}: the task
 * as bound, its status to start from and the status revision to CAS on. A
 * stream whose client does not keep up (over MAX_BUFFERED bytes waiting) is
 * ended; the agent resumes from the last revision it got.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Assignment } from '../../store/assignments.js';
import type { AssignmentsHub, Change, Filter, HubSubscriber } from './assignments-hub.js';

const PING_MS = 10_000;
const SNAPSHOT_PART = 500;
const MAX_BUFFERED = 64 * 1024 * 1024;

const wire = (a: Assignment) => ({ node: a.node, namespace: a.ns, name: a.name, task: a.task, status: a.status, statusRev: a.statusRev });
const wireChange = (c: Change) => (c.type === 'put' ? { type: 'put', assignment: wire(c.a) } : { type: 'delete', node: c.node, namespace: c.ns, name: c.name });

export async function serveAssignments(hub: AssignmentsHub, req: IncomingMessage, res: ServerResponse, filter: Filter, from: string | undefined): Promise<void> {
  await hub.ready();
  let open = true;
  let held: { revision: string; changes: Change[] }[] | undefined = [];
  const send = (event: string, data: unknown) => {
    if (!open) return;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (res.writableLength > MAX_BUFFERED) end();
  };
  const sub: HubSubscriber = {
    filter,
    changes: (revision, changes) => {
      if (held) held.push({ revision, changes });
      else send('changes', { revision, changes: changes.map(wireChange) });
    },
    reset: () => end(),
  };
  const ping = setInterval(() => {
    if (open && !held) send('progress', { revision: hub.revision });
  }, PING_MS);
  const end = () => {
    if (!open) return;
    open = false;
    clearInterval(ping);
    hub.unsubscribe(sub);
    res.end();
  };
  res.on('close', end);
  const first = hub.subscribe(sub, from);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  try {
    if (first.snapshot) {
      await hub.withStatus(first.snapshot);
      const items = first.snapshot;
      for (let i = 0; i === 0 || i < items.length; i += SNAPSHOT_PART) {
        send('snapshot', { revision: first.revision, items: items.slice(i, i + SNAPSHOT_PART).map(wire), last: i + SNAPSHOT_PART >= items.length });
      }
    } else if (first.changes!.length > 0) {
      send('changes', { revision: first.revision, changes: first.changes!.map(wireChange) });
    }
  } catch (e) {
    end();
    throw e;
  }
  // what came while the statuses were read, in order, then live
  for (const b of held) send('changes', { revision: b.revision, changes: b.changes.map(wireChange) });
  held = undefined;
}
