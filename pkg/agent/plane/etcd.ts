/**
 * The control plane straight on etcd (`stowage agent --etcd`): the agent
 * holds etcd credentials and writes as the servers would. For clusters
 * without tokens.
 */
import type { Etcd3 } from 'etcd3';
import { agentSource, nodeBackEvent } from '../../events/node-ready.js';
import { storeEvents } from '../../events/recorder.js';
import type { Logger } from '../../log/logger.js';
import type { SecretCipher } from '../../secrets/cipher.js';
import type { SecretEnv } from '../../secrets/resolve.js';
import { StoreSecretEnv } from '../../secrets/store-env.js';
import { agentSecretKey } from '../../store/keys.js';
import { registerNode, type Registration } from '../../store/node-register.js';
import { writeNodeUsage } from '../../store/node-usage.js';
import { Store } from '../../store/store.js';
import { writeTaskStatuses } from '../../store/task-status-batch.js';
import { HeartbeatSession } from '../session.js';
import { AssignmentWatcher, type AssignmentHandler } from '../sync/assignments.js';
import type { ControlPlane, Session, SessionOptions } from './plane.js';

export class EtcdPlane implements ControlPlane {
  private readonly store: Store;

  constructor(
    private readonly client: Etcd3,
    private readonly log: Logger,
  ) {
    this.store = new Store(client);
  }

  readonly statuses = { write: (items: Parameters<typeof writeTaskStatuses>[1]) => writeTaskStatuses(this.store, items) };
  readonly usage = { writeUsage: (node: string, usage: Parameters<typeof writeNodeUsage>[2]) => writeNodeUsage(this.store, node, usage) };

  get events() {
    return storeEvents(this.store);
  }

  async register(reg: Registration, logSecret: string): Promise<void> {
    // the secret first: a Node whose address is up is one the log proxy may call at once
    await this.client.put(agentSecretKey(reg.name)).value(logSecret).exec();
    // back from NotReady: the NodeReady event in the status write's transaction
    await registerNode(this.store, reg, this.log, { onReady: nodeBackEvent(agentSource(reg.name)) });
  }

  session(o: SessionOptions): Session {
    return new HeartbeatSession({ client: this.client, ...o });
  }

  assignments(nodes: ReadonlySet<string>, handler: AssignmentHandler, log: Logger): AssignmentWatcher {
    return new AssignmentWatcher(this.client, nodes, handler, log);
  }

  secretEnv(cipher: SecretCipher): SecretEnv {
    return new StoreSecretEnv(this.store, cipher);
  }

  close(): void {
    this.client.close();
  }
}
