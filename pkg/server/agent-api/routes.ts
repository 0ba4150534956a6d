/**
 * The agent API (docs/api.md "Agents"): what `stowage agent --server` says
 * to the cluster instead of writing etcd itself. Every route checks the
 * request's principal with the node authorizer (pkg/auth/node-authorizer.ts).
 *
 *   POST   /api/v1/agent/nodes/<node>/register      Node spec merge + Ready (CAS), the log secret
 *   PUT    /api/v1/agent/nodes/<node>/usage         Node status usage, when it moved
 *   POST   /api/v1/agent/sessions                   heartbeat lease + keys (sessions.ts)
 *   POST   /api/v1/agent/sessions/<id>/keepalive
 *   DELETE /api/v1/agent/sessions/<id>
 *   GET    /api/v1/agent/assignments?node=|prefix=  SSE (assignments-stream.ts)
 *   POST   /api/v1/agent/statuses                   batched CAS status writes (statuses.ts)
 *   POST   /api/v1/agent/events                     create an Event
 *   PUT    /api/v1/agent/events/<ns>/<name>         bump one (CAS on metadata.resourceVersion)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { Event } from '../../api/types.js';
import { refuseAgentAct } from '../../auth/node-authorizer.js';
import { principalOf, type Principal } from '../../auth/principal.js';
import { agentSource, nodeBackEvent } from '../../events/node-ready.js';
import type { Logger } from '../../log/logger.js';
import { agentSecretKey } from '../../store/keys.js';
import { LeaseKeeper } from '../../store/leases.js';
import { DEFAULT_NODE_LOST_GRACE_SECONDS, registerNode } from '../../store/node-register.js';
import { writeNodeUsage } from '../../store/node-usage.js';
import type { Store } from '../../store/store.js';
import { unavailable } from '../../store/errors.js';
import type { Objects } from '../objects.js';
import { readJson, sendJson } from '../respond.js';
import { AssignmentsHub } from './assignments-hub.js';
import { serveAssignments } from './assignments-stream.js';
import { bad, nodeName, parseRegistration, parseSession, parseStatusWrites, parseUsage } from './bodies.js';
import { forbidIf, Sessions } from './sessions.js';
import { writeStatusesFor } from './statuses.js';

const EVENT = lookupKind('Event')!;

export interface AgentApiOptions {
  store: Store;
  objects: Objects;
  log: Logger;
  /** --node-lost-grace, told to agents with their heartbeat session (default 10). */
  nodeLostGraceSeconds?: number;
}

export class AgentApi {
  private readonly leases: LeaseKeeper;
  private readonly sessions: Sessions;
  private readonly hub: AssignmentsHub;

  constructor(private readonly o: AgentApiOptions) {
    this.leases = new LeaseKeeper(o.store.client);
    this.sessions = new Sessions(o.store, this.leases, o.nodeLostGraceSeconds ?? DEFAULT_NODE_LOST_GRACE_SECONDS);
    this.hub = new AssignmentsHub(o.store, o.log.child({ part: 'agent-assignments' }));
  }

  async close(): Promise<void> {
    await this.hub.stop();
    this.leases.close();
  }

  /** parts: the path after /api/v1/agent/. Answers the HTTP status it sent. */
  async serve(req: IncomingMessage, res: ServerResponse, verb: string, parts: string[], q: URLSearchParams): Promise<number> {
    const p = principalOf(req);
    const [first, , third] = parts;
    const shape = first === 'events' && parts.length === 3 ? 'events/*/*' : parts.length === 3 ? `${first}/*/${third}` : parts.length === 2 ? `${first}/*` : (first ?? '');
    const route = `${verb} ${shape}`;
    switch (route) {
      case 'POST nodes/*/register': {
        const node = nodeName(parts[1], 'node');
        forbidIf(refuseAgentAct(p, { verb: 'register', nodes: [node] }));
        const { reg, logSecret } = parseRegistration(node, await readJson(req));
        // the secret first: once the Node shows the address, the log proxy may call it
        await this.o.store.client
          .put(agentSecretKey(node))
          .value(logSecret)
          .exec()
          .catch((e: unknown) => {
            throw unavailable(e);
          });
        // back from NotReady: the NodeReady event (as the agent's own) in the status write's transaction
        const stored = await registerNode(this.o.store, reg, this.o.log, { onReady: nodeBackEvent(agentSource(node)) });
        sendJson(res, 200, { name: node, resourceVersion: stored.specRev, state: stored.object.status?.state });
        return 200;
      }
      case 'PUT nodes/*/usage': {
        const node = nodeName(parts[1], 'node');
        forbidIf(refuseAgentAct(p, { verb: 'report usage of', nodes: [node] }));
        const result = await writeNodeUsage(this.o.store, node, parseUsage(await readJson(req)));
        sendJson(res, 200, { result });
        return 200;
      }
      case 'POST sessions':
        sendJson(res, 201, await this.sessions.create(p, parseSession(await readJson(req))));
        return 201;
      case 'POST sessions/*/keepalive':
        sendJson(res, 200, await this.sessions.keepAlive(p, parts[1]!));
        return 200;
      case 'DELETE sessions/*':
        await this.sessions.end(p, parts[1]!);
        sendJson(res, 200, {});
        return 200;
      case 'GET assignments': {
        const filter = watchFilter(p, q);
        await serveAssignments(this.hub, req, res, filter, q.get('resourceVersion') ?? undefined);
        return 200;
      }
      case 'POST statuses': {
        const items = parseStatusWrites(await readJson(req));
        sendJson(res, 200, { results: await writeStatusesFor(this.o.store, p, items) });
        return 200;
      }
      case 'POST events': {
        const body = (await readJson(req)) as Event;
        forbidIf(refuseAgentAct(p, { verb: 'write event', source: String(body?.spec?.source) }));
        sendJson(res, 201, await this.o.objects.create(EVENT, body));
        return 201;
      }
      case 'PUT events/*/*':
        await this.updateEvent(p, req, res, parts[1]!, parts[2]!);
        return 200;
    }
    throw new ApiError('NotFound', `no route ${verb} /api/v1/agent/${parts.join('/')}; the agent API is described in docs/api.md ("Agents")`);
  }

  private async updateEvent(p: Principal, req: IncomingMessage, res: ServerResponse, ns: string, name: string): Promise<void> {
    const body = (await readJson(req)) as Event;
    forbidIf(refuseAgentAct(p, { verb: 'write event', source: String(body?.spec?.source) }));
    if (p.role !== 'admin') {
      // the stored Event must be this node's too (the CAS below keeps it that one)
      const cur = await this.o.store.get<Event>(EVENT, ns, name);
      if (cur) forbidIf(refuseAgentAct(p, { verb: 'write event', source: String(cur.object.spec.source) }));
      if (cur && body?.metadata?.resourceVersion !== cur.specRev) {
        throw new ApiError('Conflict', `event "${name}" is at revision ${cur.specRev}, not ${String(body?.metadata?.resourceVersion)}`);
      }
    }
    sendJson(res, 200, await this.o.objects.update(EVENT, ns, name, body));
  }
}

/** ?node=a,b or ?prefix=p: whose assignments a stream carries. */
function watchFilter(p: Principal, q: URLSearchParams): { nodes?: ReadonlySet<string>; prefix?: string } {
  const nodes = q.getAll('node').flatMap((v) => v.split(',')).filter((n) => n !== '');
  const prefix = q.get('prefix') ?? undefined;
  if ((nodes.length > 0) === (prefix !== undefined)) throw bad('node', 'required', 'give node=<name>[,<name>...] or prefix=<prefix> (hollow nodes), one of them');
  if (prefix !== undefined) {
    forbidIf(refuseAgentAct(p, { verb: 'watch', prefix }));
    return { prefix };
  }
  nodes.forEach((n, i) => nodeName(n, `node[${i}]`));
  forbidIf(refuseAgentAct(p, { verb: 'watch', nodes }));
  return { nodes: new Set(nodes) };
}
