/**
 * A deposed leader cannot write: the services loop is creating 1,000 tasks
 * (16 fenced transactions) when its election lease is revoked under it.
 *
 *   commit 1 goes through ──► the other commits are held at a gate
 *   lease revoked (revision R) ──► the election says deposed
 *   gate opens ──► the held transactions reach etcd with the old fence: refused
 *   the loop reconciles on ──► every later write fails closed (Fenced) before it is sent
 *
 * Nothing the loop writes may carry a revision after R. The loop runs with
 * the term's own context (no Manager to stop it), so it keeps trying.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { applyDefaults } from '../../pkg/api/defaults.js';
import type { Service } from '../../pkg/api/types.js';
import { ServicesController } from '../../pkg/controllers/services/controller.js';
import { MemoryRecorder } from '../../pkg/events/recorder.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import * as metrics from '../../pkg/metrics/metrics.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { specPrefix } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd } from '../helpers/etcd.js';
import { GatedStore } from '../helpers/gated-store.js';
import { becomeLeader } from '../helpers/leader.js';
import { until } from '../helpers/wait.js';

const SERVICE = lookupKind('Service')!;
const TASK = lookupKind('Task')!;

const fencedRefusals = async () => (await metrics.fencedWritesRefused.get()).values.reduce((n, v) => n + v.value, 0);

describe('a deposed leader (real etcd)', () => {
  it('a reconcile in flight when the lease is revoked writes nothing after the revocation, and the loop fails closed after it', async () => {
    const etcd = await startEtcd();
    const client = newEtcdClient({ endpoints: etcd.endpoint });
    const store = new GatedStore(client, undefined, Infinity);
    const informers = new InformerFactory(store, nopLogger);
    const leader = await becomeLeader(client);
    const ctl = new ServicesController({ store, informers, log: nopLogger, recorder: new MemoryRecorder() });
    try {
      await ctl.start(leader.ctx);
      store.open = 2; // the status write, then one batch of creates
      const refusedBefore = await fencedRefusals();
      const svc = applyDefaults({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'big', namespace: 'default' }, spec: { instances: 1000, image: 'x', resources: { cpus: 0.01, mem: 1 } } } as Service);
      await new Store(client).create(SERVICE, svc);
      const tasks = async () => (await client.getAll().prefix(specPrefix(TASK, 'default')).keys()).length;
      // the first transaction committed; others wait at the gate: the reconcile is mid-way
      await until('the first batch of tasks, the rest held', async () => (await tasks()) > 0 && store.gate.held > 0, 30_000);
      const before = await tasks();
      assert.ok(before < 1000, `the reconcile is mid-way (${before} of 1000 written)`);

      const leaseId = leader.token.key.split('/').pop()!;
      await client.leaseClient.leaseRevoke({ ID: leaseId });
      const revokedAt = BigInt((await client.get('/').exec()).header.revision);
      await until('the election to notice it was deposed', () => !leader.election.holds(leader.token), 15_000);
      assert.throws(() => leader.ctx.fence(), /this term of leadership is over; write refused/);

      store.gate.open();
      // the held transactions went out with the old fence, and every reconcile after them failed closed
      await until('the held transactions to be refused', async () => (await fencedRefusals()) > refusedBefore, 15_000);
      ctl.enqueue('default/big');
      await until('a later reconcile to be refused too', async () => (await fencedRefusals()) > refusedBefore + 1, 15_000);

      const kvs = (await client.getAll().prefix('/stowage/').exec()).kvs;
      const late = kvs.filter((kv) => BigInt(kv.mod_revision) > revokedAt && !kv.key.toString().startsWith('/stowage/leader/'));
      assert.deepEqual(late.map((kv) => kv.key.toString()), [], 'writes after the lease was revoked');
      assert.equal(await tasks(), before);
    } finally {
      store.gate.open();
      await ctl.stop();
      await leader.stop();
      await informers.stop();
      client.close();
      etcd.stop();
    }
  });
});
