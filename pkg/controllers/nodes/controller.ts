/**
 * The node-lifecycle loop: a runner around computeNode. Keys are node
 * names; they come from node changes and from heartbeat keys appearing
 * or vanishing (a lease lapsing deletes its key).
 */
import { lookupKind } from '../../api/kinds.js';
import type { Node, Task } from '../../api/types.js';
import type { Recorder } from '../../events/recorder.js';
import type { InformerFactory } from '../../informer/factory.js';
import type { Informer } from '../../informer/informer.js';
import { KeySet } from '../../informer/keyset.js';
import type { Logger } from '../../log/logger.js';
import { HEARTBEAT_PREFIX, assignmentKey } from '../../store/keys.js';
import { Store } from '../../store/store.js';
import { MAX_TXN_OPS, Txn } from '../../store/txn.js';
import { ApiError } from '../../api/errors.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { computeNode, lostStatus } from './compute.js';

const NODE = lookupKind('Node')!;
const TASK = lookupKind('Task')!;

export interface NodesDeps {
  store: Store;
  informers: InformerFactory;
  log: Logger;
  recorder: Recorder;
  graceMs: number;
}

export class NodeLifecycleController extends Controller {
  private nodes!: Informer<Node>;
  private tasks!: Informer<Task>;
  private heartbeats!: KeySet;
  private offHeartbeats: (() => void) | undefined;

  constructor(private readonly d: NodesDeps) {
    super('nodes', d.log.child({ controller: 'nodes' }));
  }

  protected async setup(): Promise<void> {
    this.nodes = await this.d.informers.get<Node>('Node');
    this.tasks = await this.d.informers.get<Task>('Task');
    this.heartbeats = new KeySet(this.d.store.client, HEARTBEAT_PREFIX, this.log);
    this.offHeartbeats = this.heartbeats.onChange((name) => this.enqueue(name));
    await this.heartbeats.start();
    this.watch(this.nodes, (e) => e.stored.object.metadata.name);
    for (const n of this.nodes.list()) this.enqueue(n.object.metadata.name);
  }

  override async stop(): Promise<void> {
    this.offHeartbeats?.();
    await this.heartbeats?.stop();
    await super.stop();
  }

  protected async reconcile(name: string): Promise<ReconcileResult | void> {
    const s = this.nodes.get(`_/${name}`);
    if (!s) return;
    const now = Date.now();
    const d = computeNode(s.object, this.heartbeats.has(name), () => this.tasks.list().map((t) => t.object), now, this.d.graceMs);
    const fence = this.ctx.fence();
    if (d.status) {
      await this.d.store.putStatus(NODE, undefined, name, d.status, s.statusRev, { fence });
      if (d.status.state === 'NotReady') this.d.recorder.warning(s.object, 'NodeNotReady', `node ${name} stopped heartbeating`);
      else this.d.recorder.normal(s.object, 'NodeReady', `node ${name} is heartbeating again`);
    }
    if (d.lose.length > 0) {
      // Mark its tasks Lost and withdraw their assignments, in batches.
      let txn = this.d.store.txn().fence(fence);
      const txns = [txn];
      for (const t of d.lose) {
        if (txn.size + 2 > MAX_TXN_OPS) txns.push((txn = this.d.store.txn().fence(fence)));
        const ts = this.tasks.get(`${t.metadata.namespace}/${t.metadata.name}`)!;
        Store.addPutStatus(txn, TASK, t.metadata.namespace, t.metadata.name, lostStatus(t, name, now), ts.statusRev);
        txn.del(assignmentKey(name, t.metadata.namespace ?? 'default', t.metadata.name));
      }
      for (const t of txns) {
        const r = await t.commit();
        if (Txn.fenceLost(r, fence)) throw new ApiError('Fenced', 'no longer the leader');
        if (!r.succeeded) throw new ApiError('Conflict', 'a lost task changed meanwhile; retrying');
      }
      this.log.warn('node lost: its tasks are Lost', { node: name, tasks: d.lose.length });
      this.d.recorder.warning(s.object, 'NodeLost', `${d.lose.length} task(s) on node ${name} are Lost and will be replaced`);
    }
    if (d.requeueAfterMs !== undefined) return { requeueAfter: d.requeueAfterMs };
  }
}
