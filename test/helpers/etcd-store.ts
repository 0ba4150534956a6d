/** A real etcd of the test's own, with a client and a Store on it. */
import type { Etcd3 } from 'etcd3';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from './etcd.js';
import { use } from './use.js';

export interface EtcdStore {
  etcd: TestEtcd;
  client: Etcd3;
  store: Store;
  /** Close the client, stop etcd and remove its data. */
  stop(): void;
}

export async function startEtcdStore(): Promise<EtcdStore> {
  const etcd = await startEtcd();
  const client = newEtcdClient({ endpoints: etcd.endpoint });
  return {
    etcd,
    client,
    store: new Store(client),
    stop: () => {
      client.close();
      etcd.stop();
    },
  };
}

/**
 * In a describe(): an EtcdStore started before its tests and stopped after
 * them. Its fields are filled in by the time the tests run.
 */
export const useEtcdStore = (): EtcdStore => use(startEtcdStore);
