/**
 * `GET /api/v1/tasks/<ns>/<name>/log` is served by the agent that runs the
 * task: find its node, take the node's advertised address, and stream the
 * agent's answer through.
 */
import { request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Node, Task } from '../api/types.js';
import type { Store } from '../store/store.js';

const TASK = lookupKind('Task')!;
const NODE = lookupKind('Node')!;

export async function proxyLogs(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string, name: string, query: URLSearchParams): Promise<void> {
  const task = await store.get<Task>(TASK, namespace, name);
  if (!task) throw new ApiError('NotFound', `task "${name}" not found in namespace "${namespace}"`);
  const nodeName = task.object.status?.nodeName;
  if (!nodeName) throw new ApiError('BadRequest', `task "${name}" is ${task.object.status?.state ?? 'Pending'} and not on any node yet: it has no logs`);
  const node = await store.get<Node>(NODE, undefined, nodeName);
  const address = node?.object.spec.address;
  if (!address) throw new ApiError('Unavailable', `node "${nodeName}" advertises no address for logs`);
  const [host, port] = splitHostPort(address);
  const qs = new URLSearchParams();
  for (const k of ['follow', 'tail']) {
    const v = query.get(k);
    if (v !== null) qs.set(k, v);
  }
  await new Promise<void>((resolve, reject) => {
    const up = request(
      { host, port, path: `/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/log?${qs}`, method: 'GET', timeout: 5000 },
      (ares) => {
        // the timeout guards the connect; a followed log of a quiet task may be silent for long
        up.setTimeout(0);
        res.writeHead(ares.statusCode ?? 502, { 'content-type': ares.headers['content-type'] ?? 'text/plain; charset=utf-8' });
        ares.pipe(res);
        ares.on('end', resolve);
        ares.on('error', resolve);
      },
    );
    up.on('timeout', () => up.destroy(new Error('timed out')));
    up.on('error', (e) => reject(new ApiError('Unavailable', `agent of node "${nodeName}" at ${address} did not answer: ${e.message}`)));
    req.on('close', () => up.destroy());
    up.end();
  });
}

function splitHostPort(a: string): [string, number] {
  const i = a.lastIndexOf(':');
  return [a.slice(0, i).replace(/^\[|\]$/g, ''), Number(a.slice(i + 1))];
}
