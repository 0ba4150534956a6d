/**
 * `GET /api/v1/tasks/<ns>/<name>/log` is served by the agent that runs the
 * task: find its node, take the node's advertised address, and stream the
 * agent's answer through, with the secret the agent handed over when it
 * registered (`/stowage/agent-secrets/<node>`): its log route answers no one else.
 * Over HTTPS verified against the CA of `--agent-ca` when the server has one, else plain HTTP.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiError } from '../api/errors.js';
import { lookupKind } from '../api/kinds.js';
import type { Node, Task } from '../api/types.js';
import { errMsg } from '../log/logger.js';
import { unavailable } from '../store/errors.js';
import { agentSecretKey } from '../store/keys.js';
import type { Store } from '../store/store.js';

const TASK = lookupKind('Task')!;
const NODE = lookupKind('Node')!;

export async function proxyLogs(store: Store, req: IncomingMessage, res: ServerResponse, namespace: string, name: string, query: URLSearchParams, agentCa?: Buffer): Promise<void> {
  const task = await store.get<Task>(TASK, namespace, name);
  if (!task) throw new ApiError('NotFound', `task "${name}" not found in namespace "${namespace}"`);
  const nodeName = task.object.status?.nodeName;
  if (!nodeName) throw new ApiError('BadRequest', `task "${name}" is ${task.object.status?.state ?? 'Pending'} and not on any node yet: it has no logs`);
  const node = await store.get<Node>(NODE, undefined, nodeName);
  const address = node?.object.spec.address;
  if (!address) throw new ApiError('Unavailable', `node "${nodeName}" advertises no address for logs`);
  const hp = splitHostPort(address);
  if (!hp) throw new ApiError('Unavailable', `node "${nodeName}" advertises the address ${JSON.stringify(address)} for logs, which is not host:port`);
  const [host, port] = hp;
  const secret = await store.client.get(agentSecretKey(nodeName)).string().catch((e: unknown) => {
    throw unavailable(e);
  });
  const qs = new URLSearchParams();
  for (const k of ['follow', 'tail']) {
    const v = query.get(k);
    if (v !== null) qs.set(k, v);
  }
  const scheme = agentCa ? 'https' : 'http';
  const unreachable = (e: unknown) => new ApiError('Unavailable', `agent of node "${nodeName}" at ${scheme}://${address} did not answer: ${errMsg(e)}${hint(e, !!agentCa)}`);
  await new Promise<void>((resolve, reject) => {
    let up: ClientRequest;
    try {
      const headers = secret ? { authorization: `Bearer ${secret}` } : {};
      const path = `/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/log?${qs}`;
      up = agentCa
        ? httpsRequest({ host, port, path, method: 'GET', headers, timeout: 5000, ca: agentCa }, onAnswer)
        : httpRequest({ host, port, path, method: 'GET', headers, timeout: 5000 }, onAnswer);
    } catch (e) {
      // an address Node refuses outright
      reject(unreachable(e));
      return;
    }
    function onAnswer(ares: IncomingMessage): void {
      // the timeout guards the connect; a followed log of a quiet task may be silent for long
      up.setTimeout(0);
      ares.on('end', resolve);
      ares.on('error', resolve);
      try {
        res.writeHead(ares.statusCode ?? 502, { 'content-type': ares.headers['content-type'] ?? 'text/plain; charset=utf-8' });
      } catch (e) {
        // an event callback: a throw here would end the process
        ares.destroy();
        reject(e);
        return;
      }
      ares.pipe(res);
    }
    up.on('timeout', () => up.destroy(new Error('timed out')));
    up.on('error', (e) => reject(unreachable(e)));
    // the response's close, not the request's: Node closes a request once its body is read
    res.on('close', () => up.destroy());
    // a client that left while the task and node were read has had its 'close' already
    if (res.destroyed) up.destroy();
    up.end();
  });
}

/** What to do about a TLS mismatch between the server's --agent-ca and the agent's --tls-cert. */
function hint(e: unknown, tls: boolean): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  if (tls && /CERT|SELF_SIGNED|VERIFY|ERR_TLS|ERR_SSL/.test(code)) return " (the agent's certificate is not signed by the CA of the server's --agent-ca)";
  if (tls && /EPROTO|ECONNRESET/.test(code)) return ' (does the agent serve HTTPS? start it with --tls-cert/--tls-key, or the server without --agent-ca)';
  if (!tls && /ECONNRESET|HPE_/.test(code)) return ' (if the agent serves HTTPS, give the server --agent-ca)';
  return '';
}

/** "host:port" or "[v6]:port"; undefined for anything else (the address is whatever the Node object says). */
function splitHostPort(a: string): [string, number] | undefined {
  const i = a.lastIndexOf(':');
  const host = a.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(a.slice(i + 1));
  if (i <= 0 || host === '' || !/^\d+$/.test(a.slice(i + 1)) || port < 1 || port > 65535) return undefined;
  return [host, port];
}
