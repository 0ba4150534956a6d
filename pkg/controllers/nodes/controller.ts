/**
 * The node-lifecycle loop: a runner around computeNode. Keys are node
 * names; they come from node changes, from heartbeat keys appearing or
 * vanishing (a lease lapsing deletes its key), and from tasks whose state
 * disagrees with their node's (reported Running on a NotReady node).
 *
 * The tasks of a node are found through its allocation (status.tasks), so
 * a pass costs what the node holds, not what the cluster holds. Task status
 * writes go in fenced transactions within etcd's budget (commitEach); a
 * node with a thousand tasks takes several.
 */
import { ApiError } from '../../api/errors.js';
import { lookupKind } from '../../api/kinds.js';
import type { Node, Task, TaskStatus } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer } from '../../informer/informer.js';
import { KeySet } from '../../informer/keyset.js';
import type { Logger } from '../../log/logger.js';
import { HEARTBEAT_PREFIX, assignmentKey, heartbeatKey } from '../../store/keys.js';
import { Store, type Stored } from '../../store/store.js';
import { commitEach } from '../batch.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { computeNode, liveOn, lostStatus, reachableStatus, unreachableStatus } from './compute.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;
const EVENT = lookupKind('Event')!;
/** What an Event's create costs a transaction: one compare (it is absent), one put. */
const EVENT_OPS = 1;
/** Per-task NodeNotReady / NodeLost events per pass at most; past it only the node's event, with the count. */
const MAX_TASK_EVENTS = 20;

export interface NodesDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  recorder: Recorder;
  graceMs: number;
}

interface StatusWrite {
  task: Stored<Task>;
  status: TaskStatus;
  /** Withdraw its assignment too (Lost). */
  unassign?: string;
}

export class NodeLifecycleController extends Controller {
  private nodes!: Informer<Node>;
  private tasks!: Informer<Task>;
  private heartbeats!: KeySet;
  private offHeartbeats: (() => void) | undefined;

  constructor(private readonly d: NodesDeps) {
    super('nodes', d.log);
  }

  protected async setup(): Promise<void> {
    this.nodes = await this.d.informers.get<Node>('Node');
    this.tasks = await this.d.informers.get<Task>('Task');
    this.heartbeats = new KeySet(this.d.store.client, HEARTBEAT_PREFIX, this.log);
    this.offHeartbeats = this.heartbeats.onChange((name) => this.enqueue(name));
    await this.heartbeats.start();
    // An agent that comes back writes its node Ready itself (AgentReady), with its NodeReady
    // event in the same transaction (registerNode's onReady): nothing is left to tell here.
    this.watch(this.nodes, (e) => e.stored.object.metadata.name);
    // A task whose state disagrees with its node: an agent's report landed on
    // an Unreachable task, or a task became Unreachable on a node that is back.
    this.watch(this.tasks, (e) => {
      const node = e.stored.object.status?.nodeName;
      if (e.type === 'DELETED' || !node || !liveOn(e.stored.object, node)) return undefined;
      const ready = this.nodes.get(`_/${node}`)?.object.status?.state === 'Ready';
      return ready === (e.stored.object.status?.state === 'Unreachable') ? node : undefined;
    });
    for (const n of this.nodes.list()) this.enqueue(n.object.metadata.name);
  }

  override async stop(): Promise<void> {
    this.offHeartbeats?.();
    await this.heartbeats?.stop();
    await super.stop();
  }

  /** The tasks the node's allocation names, as the cache has them. */
  private tasksOn(node: Node): Stored<Task>[] {
    const out: Stored<Task>[] = [];
    for (const ref of Object.keys(node.status?.tasks ?? {})) {
      const t = this.tasks.get(ref);
      if (t) out.push(t);
    }
    return out;
  }

  protected async reconcile(name: string, log: Logger): Promise<ReconcileResult | void> {
    const s = this.nodes.get(`_/${name}`);
    if (!s) return;
    const now = Date.now();
    const stored = this.tasksOn(s.object);
    const byTask = new Map(stored.map((t) => [t.object, t]));
    let heartbeat = this.heartbeats.has(name);
    // An agent that registers writes its heartbeat key and its Ready status, which reach this
    // loop through two watches: a Ready node whose key the set does not show yet is asked of etcd,
    // not declared NotReady (every new agent drew a NodeNotReady warning, then NodeReady).
    if (!heartbeat && s.object.status?.state === 'Ready') heartbeat = await this.d.store.client.get(heartbeatKey(name)).exists();
    const d = computeNode(s.object, heartbeat, stored.map((t) => t.object), now, this.d.graceMs);
    if (d.status) {
      // the transition and its event in one transaction: a leader killed right after cannot
      // leave a NotReady node without its NodeNotReady (the next leader has no transition to make)
      const ev =
        d.status.state === 'NotReady'
          ? this.d.recorder.transitionEvent(s.object, 'Warning', 'NodeNotReady', `node ${name} stopped heartbeating; its ${d.unreachable.length} task(s) are Unreachable`)
          : this.d.recorder.transitionEvent(s.object, 'Normal', 'NodeReady', `node ${name} is heartbeating again`);
      const txn = this.d.store.txn(this.ctx.fence());
      Store.addPutStatus(txn, NODE, undefined, name, d.status, s.statusRev);
      Store.addCreate(txn, EVENT, ev);
      Store.statusWritten(await txn.commit(), NODE, undefined, name, s.statusRev);
    }
    const writes: StatusWrite[] = [
      ...d.unreachable.map((t) => ({ task: byTask.get(t)!, status: unreachableStatus(t, name, now) })),
      ...d.reachable.map((t) => ({ task: byTask.get(t)!, status: reachableStatus(t) })),
      ...d.lose.map((t) => ({ task: byTask.get(t)!, status: lostStatus(t, name, now), unassign: assignmentKey(name, t.metadata.namespace ?? 'default', t.metadata.name) })),
    ];
    const r = await commitEach(
      this.d.store,
      () => this.ctx.fence(),
      writes,
      (txn, w) => {
        const m = w.task.object.metadata;
        Store.addPutStatus(txn, TASK, m.namespace, m.name, w.status, w.task.statusRev);
        if (w.unassign) txn.del(w.unassign);
      },
      undefined,
      // the node's NodeLost event in each transaction that loses tasks, counting them: it lands with them
      {
        reserve: EVENT_OPS,
        finish: (txn, mine) => {
          const lost = mine.filter((w) => w.unassign).length;
          if (lost > 0) Store.addCreate(txn, EVENT, this.d.recorder.transitionEvent(s.object, 'Warning', 'NodeLost', `${lost} task(s) on node ${name} are Lost and will be replaced`));
        },
      },
    );
    // each task's own story (what `events --for service/NAME` shows), unless there are many: the node's event counts them
    if (r.committed.length <= MAX_TASK_EVENTS) {
      for (const w of r.committed) {
        const t = w.task.object;
        if (w.unassign) this.d.recorder.warning(t, 'NodeLost', `node ${name} is lost: task ${t.metadata.name} is Lost and will be replaced`);
        else if (w.status.state === 'Unreachable') this.d.recorder.warning(t, 'NodeNotReady', `node ${name} stopped heartbeating: task ${t.metadata.name} is Unreachable`);
      }
    }
    if (d.lose.length > 0) log.warn('node lost: its tasks are Lost', { node: name, tasks: r.committed.filter((w) => w.unassign).length });
    // A task that moved meanwhile (its agent reported): read again and decide again.
    if (r.conflicted.length > 0) throw new ApiError('Conflict', `${r.conflicted.length} task(s) on node ${name} changed meanwhile`);
    if (d.requeueAfterMs !== undefined) return { requeueAfter: d.requeueAfterMs };
  }
}
