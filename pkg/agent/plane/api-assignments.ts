/**
 * The hosted nodes' assignments through a server (`--server`): one event
 * stream, GET /api/v1/agent/assignments?node=N (one node) or ?prefix=P
 * (hollow nodes sharing a prefix; an admin token), which the server feeds
 * from its one shared etcd watch of all assignments.
 *
 *   connect ──► snapshot (in parts; the last one says last: true) ──► snapshot(node, items) per hosted node
 *           ──► changes {revision, changes: put | delete} ──► put / remove
 *           ──► progress {revision} (every 10 s): nothing else up to it
 *   stream ends, errors or stays silent past IDLE_MS (the server sends progress every 10 s)
 *           ──► reconnect (next server on connection errors) with resourceVersion = last revision:
 *               the server sends what was missed, or a fresh snapshot when it cannot
 */
import type { IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { TaskStatus, Task } from '../../api/types.js';
import { errMsg, type Logger } from '../../log/logger.js';
import type { Assignment } from '../../store/assignments.js';
import { Backoff } from '../../util/backoff.js';
import { assignmentWatchPrefix, type AssignmentHandler } from '../sync/assignments.js';
import type { ApiClient } from './api-client.js';
import type { AssignmentSource } from './plane.js';
import { warnUnlessEtcdDown } from '../../store/etcd-health.js';

/** No byte for this long (the server sends progress every 10 s): the connection is taken for dead. */
const IDLE_MS = 35_000;

/** An assignment as the agent API sends it. */
export interface WireAssignment {
  node: string;
  namespace: string;
  name: string;
  task: Task;
  status: TaskStatus;
  statusRev: string;
}

export type WireChange = { type: 'put'; assignment: WireAssignment } | { type: 'delete'; node: string; namespace: string; name: string };

const fromWire = (w: WireAssignment): Assignment => ({ node: w.node, ns: w.namespace, name: w.name, task: w.task, status: w.status, statusRev: w.statusRev });

export class ApiAssignments implements AssignmentSource {
  private stopped = false;
  private revision: string | undefined;
  private res: IncomingMessage | undefined;
  private loop: Promise<void> | undefined;
  private readonly query: string;

  constructor(
    private readonly client: ApiClient,
    private readonly nodes: ReadonlySet<string>,
    private readonly handler: AssignmentHandler,
    private readonly log: Logger,
  ) {
    const list = [...nodes];
    const prefix = assignmentWatchPrefix(list).slice('/stowage/assignments/'.length);
    this.query = list.length === 1 ? `node=${encodeURIComponent(list[0]!)}` : `prefix=${encodeURIComponent(prefix)}`;
  }

  /** Resolves once the first snapshot was handed over. */
  async start(): Promise<void> {
    this.stopped = false;
    let first!: () => void;
    const synced = new Promise<void>((r) => (first = r));
    this.loop = this.run(first);
    await synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.res?.destroy();
    await this.loop;
  }

  private async run(synced: () => void): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopped) {
      try {
        await this.once(() => {
          backoff.reset();
          synced();
        });
        if (this.stopped) return;
        this.log.info('assignment stream ended; connecting again', { revision: this.revision });
      } catch (e) {
        if (this.stopped) return;
        const ms = backoff.next();
        warnUnlessEtcdDown(this.log, 'assignment stream failed; connecting again', { error: errMsg(e), retryInMs: ms }, e);
        await new Promise((r) => setTimeout(r, ms));
      }
    }
  }

  /** One stream, until it ends. */
  private async once(onSynced: () => void): Promise<void> {
    const rv = this.revision ? `&resourceVersion=${this.revision}` : '';
    const res = (this.res = await this.client.stream(`/api/v1/agent/assignments?${this.query}${rv}`));
    if (this.stopped) {
      res.destroy();
      return;
    }
    let parts: Assignment[] = [];
    let failure: unknown;
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => {
        try {
          if (m.event === 'snapshot') {
            const b = JSON.parse(m.data) as { revision: string; items: WireAssignment[]; last: boolean };
            for (const w of b.items) if (this.nodes.has(w.node)) parts.push(fromWire(w));
            if (!b.last) return;
            const byNode = new Map<string, Assignment[]>();
            for (const n of this.nodes) byNode.set(n, []);
            for (const a of parts) byNode.get(a.node)?.push(a);
            parts = [];
            for (const [node, list] of byNode) this.handler.snapshot(node, list);
            this.revision = b.revision;
            onSynced();
          } else if (m.event === 'changes') {
            const b = JSON.parse(m.data) as { revision: string; changes: WireChange[] };
            for (const c of b.changes) {
              if (!this.nodes.has(c.type === 'put' ? c.assignment.node : c.node)) continue;
              if (c.type === 'put') this.handler.put(fromWire(c.assignment));
              else this.handler.remove(c.node, c.namespace, c.name);
            }
            this.revision = b.revision;
          } else if (m.event === 'progress' && this.revision !== undefined) {
            this.revision = (JSON.parse(m.data) as { revision: string }).revision;
          }
        } catch (e) {
          failure = e;
          res.destroy();
        }
      },
    });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => res.destroy(new Error(`no data from the server for ${IDLE_MS / 1000} s`)), IDLE_MS);
      };
      arm();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm();
        parser.feed(chunk);
      });
      const done = (e?: unknown) => {
        clearTimeout(idle);
        if (failure ?? e) reject(failure ?? e);
        else resolve();
      };
      res.on('end', () => done());
      res.on('error', (e) => done(e));
      res.on('close', () => done(this.stopped ? undefined : new Error('the stream closed')));
    });
  }
}
