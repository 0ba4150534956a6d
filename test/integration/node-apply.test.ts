/**
 * A Node's attributes and cordon can be set from YAML: an apply is merged
 * over what the node's agent registered, never replacing its capacity.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Node } from '../../pkg/api/types.js';
import { ApiServer } from '../../pkg/server/http.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';

const NODE = lookupKind('Node')!;

describe('Node apply (real etcd)', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let server: ApiServer;
  let url: string;
  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    const store = new Store(client);
    server = new ApiServer({ store, log: nopLogger, ready: () => ({ isLeader: false }) });
    url = `http://${await server.listen('127.0.0.1', 0)}`;
    // as an agent registers it
    await store.create(NODE, {
      apiVersion: 'stowage/v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { capacity: { cpus: 4, mem: 8192, disk: 1000 }, portRanges: [{ begin: 31000, end: 31999 }], attributes: { zone: 'z1' }, address: '127.0.0.1:1234' },
    } as Node);
  });
  after(async () => {
    await server.close();
    client.close();
    etcd.stop();
  });

  const apply = async (spec: Record<string, unknown>) => {
    const r = await fetch(`${url}/api/v1/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1' }, spec }] }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return ((await r.json()) as { results: { action: string }[] }).results[0]!.action;
  };
  const get = async () => (await (await fetch(`${url}/api/v1/nodes/n1`)).json()) as Node;

  it('merges attributes over the registered ones and keeps capacity and address', async () => {
    assert.equal(await apply({ attributes: { rack: 'r7' } }), 'configured');
    const n = await get();
    assert.deepEqual(n.spec.attributes, { zone: 'z1', rack: 'r7' });
    assert.equal(n.spec.capacity.cpus, 4);
    assert.equal(n.spec.address, '127.0.0.1:1234');
    assert.equal(await apply({ attributes: { rack: 'r7' } }), 'unchanged');
  });

  it('cordons from YAML', async () => {
    assert.equal(await apply({ unschedulable: true }), 'configured');
    assert.equal((await get()).spec.unschedulable, true);
  });
});
