/**
 * The control plane through the servers' agent API (`stowage agent
 * --server URL[,URL...] --token-file F`): the agent holds no etcd
 * credentials; each call is one of the routes of docs/api.md "Agents", and
 * the servers do the etcd writes with the same CAS semantics (and check that
 * a node's token touches only its own node and tasks).
 */
import { ApiError, isApiError } from '../../api/errors.js';
import type { Event, NodeUsage } from '../../api/types.js';
import type { EventSink } from '../../events/recorder.js';
import type { Logger } from '../../log/logger.js';
import { ApiSecretEnv } from '../../secrets/api-env.js';
import type { SecretEnv } from '../../secrets/resolve.js';
import type { Registration } from '../../store/node-register.js';
import type { UsageWriteResult } from '../../store/node-usage.js';
import type { Stored } from '../../store/store.js';
import type { StatusWrite, StatusWriteResult } from '../../store/task-status-batch.js';
import type { AssignmentHandler } from '../sync/assignments.js';
import type { StatusSink } from '../sync/status-writer.js';
import type { UsageSink } from '../usage.js';
import { ApiClient } from './api-client.js';
import { ApiAssignments } from './api-assignments.js';
import { ApiSession } from './api-session.js';
import type { AssignmentSource, ControlPlane, Session, SessionOptions } from './plane.js';

export interface ApiPlaneOptions {
  urls: string[];
  token: string | undefined;
  log: Logger;
  /** `--server-ca`: the CA an https:// server is verified against (none: the system's). */
  ca?: Buffer;
}

const seg = encodeURIComponent;

export class ApiPlane implements ControlPlane {
  readonly client: ApiClient;

  constructor(o: ApiPlaneOptions) {
    this.client = new ApiClient({ urls: o.urls, token: o.token, ...(o.ca ? { ca: o.ca } : {}) });
  }

  readonly statuses: StatusSink = {
    write: async (items: StatusWrite[]) => {
      try {
        const r = await this.client.call<{ results: StatusWriteResult[] }>('POST', '/api/v1/agent/statuses', { items }, { lane: 'status' });
        return r.results;
      } catch (e) {
        // refused for good (not this node's task, a bad body): retrying would not change the answer
        if (isApiError(e, 'Forbidden') || isApiError(e, 'BadRequest') || isApiError(e, 'Invalid')) throw new ApiError('Refused', (e as Error).message);
        throw e;
      }
    },
  };

  readonly usage: UsageSink = {
    writeUsage: async (node: string, usage: NodeUsage) => {
      const r = await this.client.call<{ result: UsageWriteResult }>('PUT', `/api/v1/agent/nodes/${seg(node)}/usage`, { usage });
      return r.result;
    },
  };

  readonly events: EventSink = {
    create: async (ev: Event) => {
      const stored = await this.client.call<Event>('POST', '/api/v1/agent/events', ev);
      return { object: stored, specRev: stored.metadata.resourceVersion!, statusRev: '0' };
    },
    update: async (next: Event, prev: Stored<Event>) => {
      const body = { ...next, metadata: { ...next.metadata, resourceVersion: prev.specRev } };
      const stored = await this.client.call<Event>('PUT', `/api/v1/agent/events/${seg(next.metadata.namespace ?? 'default')}/${seg(next.metadata.name)}`, body);
      return { object: stored, specRev: stored.metadata.resourceVersion!, statusRev: '0' };
    },
  };

  async register(reg: Registration, logSecret: string): Promise<void> {
    await this.client.call('POST', `/api/v1/agent/nodes/${seg(reg.name)}/register`, { ...reg, logSecret });
  }

  session(o: SessionOptions): Session {
    return new ApiSession(this.client, o);
  }

  assignments(nodes: ReadonlySet<string>, handler: AssignmentHandler, log: Logger): AssignmentSource {
    return new ApiAssignments(this.client, nodes, handler, log);
  }

  /** The server resolves the references (GET /api/v1/tasks/<ns>/<name>/secret-env): no key needed here. */
  secretEnv(): SecretEnv {
    return new ApiSecretEnv((path) => this.client.call('GET', path));
  }

  close(): void {
    // keep-alive sockets are unref'd by the agent's exit; nothing else is held
  }
}
