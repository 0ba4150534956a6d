/**
 * The services loop and the REST API in the test's own process, on a real
 * etcd of its own, with no agents: tests play scheduler and agent by writing
 * task statuses themselves.
 */
import type { Etcd3 } from 'etcd3';
import { ServicesController } from '../../pkg/controllers/services/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { ApiServer } from '../../pkg/server/http.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { freePort, startEtcd, type TestEtcd } from './etcd.js';
import { runAsLeader } from './leader.js';
import { use } from './use.js';

export interface ServicesLoop {
  etcd: TestEtcd;
  client: Etcd3;
  store: Store;
  recorder: MemoryRecorder;
  /** The API's base URL, with services/<ns>/<name>/rollback and /restart served. */
  url: string;
  stop(): Promise<void>;
}

export async function startServicesLoop(): Promise<ServicesLoop> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  const store = new Store(client);
  const recorder = new MemoryRecorder();
  const informers = new InformerFactory(store, nopLogger);
  const ctl = new ServicesController({ store, informers, log: nopLogger, recorder, options: { health: { share: 0.25, windowMs: 60_000, surge: true } } });
  const leader = await runAsLeader(client, [ctl]);
  const api = new ApiServer({ store, log: nopLogger, ready: () => ({ isLeader: true }) });
  const url = `http://${await api.listen('127.0.0.1', await freePort())}`;
  return {
    etcd,
    client,
    store,
    recorder,
    url,
    stop: async () => {
      await leader.stop();
      await informers.stop();
      await api.close();
      client.close();
      etcd.stop();
    },
  };
}

/** In a describe(): the loop started before its tests and stopped after them. */
export const useServicesLoop = (): ServicesLoop => use(startServicesLoop);
