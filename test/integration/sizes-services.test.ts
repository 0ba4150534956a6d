/**
 * The services loop's creates and kills at batch sizes around etcd's
 * transaction budget (63, 64, 65, 200, 1,000 instances), under a real
 * election (every write carries the fence), against real etcd, with no
 * scheduler or agent: the test plays them by writing task statuses.
 *
 *   instances N ──► N Pending tasks (create-if-absent: 1 compare, 2 puts each)
 *   instances 0 ──► unbound: all N deleted (2 compares, 2 deletes each)
 *                   bound, drainSeconds 0: all N desiredState Killed, assignments withdrawn
 *                                           (1 compare, 2 writes each)
 *                   bound, drained (the default): all N desiredState Killed, assignments
 *                                           rewritten with the kill (2 compares, 2 writes each)
 *                   (the sizes alternate between the two)
 *
 * Every case also checks that nothing was refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../pkg/api/defaults.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type Service, type Task } from '../../pkg/api/types.js';
import { assignmentKey, assignmentPrefix, specKey, statusKey, statusPrefix } from '../../pkg/store/keys.js';
import type { Stored } from '../../pkg/store/store.js';
import { useServicesLoop } from '../helpers/services-loop.js';
import { SIZES, boundFor, deletePrefixes, refusals, untilUnrefused, writeAll } from '../helpers/sizes.js';

const SERVICE = lookupKind('Service')!;
const TASK = lookupKind('Task')!;

const svc = (name: string, instances: number, drainSeconds?: number): Service =>
  applyDefaults({ apiVersion: API_VERSION, kind: 'Service', metadata: { name, namespace: 'default' }, spec: { image: 'img', command: ['sleep', '600'], instances, resources: { cpus: 0.01, mem: 1, disk: 0 }, ...(drainSeconds !== undefined ? { drainSeconds } : {}) } } as Service);

describe('services loop at batch sizes (real etcd, fenced)', () => {
  const loop = useServicesLoop();

  const tasksOf = async (name: string): Promise<Stored<Task>[]> =>
    (await loop.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.metadata.labels?.['stowage/owner'] === `service/${name}`);

  /** Fails (for until) saying how many tasks there are, until there are at least n. */
  const atLeast = async (name: string, n: number) => {
    const l = await tasksOf(name);
    if (l.length < n) throw new Error(`${l.length} of ${n} tasks created`);
    return l;
  };

  async function scale(name: string, instances: number): Promise<void> {
    const cur = (await loop.store.get<Service>(SERVICE, 'default', name))!;
    const next = structuredClone(cur.object);
    delete next.status;
    next.spec.instances = instances;
    await loop.store.update(SERVICE, next, cur, cur.specRev);
  }

  /** Create the service and wait for its n Pending tasks (exactly n: none created twice). */
  async function created(name: string, n: number, refusedBefore: number, drainSeconds?: number): Promise<Stored<Task>[]> {
    const s = await loop.store.create(SERVICE, svc(name, n, drainSeconds));
    const tasks = await untilUnrefused(`${n} tasks of ${name}`, refusedBefore, () => atLeast(name, n), boundFor(n));
    assert.equal(tasks.length, n, 'tasks created twice');
    for (const t of tasks) {
      assert.equal(t.object.status?.state, 'Pending', t.object.metadata.name);
      assert.equal(t.object.spec.ownerUid, s.object.metadata.uid, t.object.metadata.name);
    }
    return tasks;
  }

  /** The service and its tasks gone, so the next case's reconciles have nothing of it left to act on. */
  const forget = (name: string, node?: string) =>
    deletePrefixes(loop.client, [
      specKey(SERVICE, 'default', name),
      statusKey(SERVICE, 'default', name),
      specKey(TASK, 'default', `${name}-`),
      statusKey(TASK, 'default', `${name}-`),
      ...(node ? [assignmentPrefix(node)] : []),
    ]);

  for (const n of SIZES) {
    it(`${n} instances: ${n} Pending tasks created; scaled to 0, all ${n} deleted`, async () => {
      const name = `pending-${n}`;
      try {
        const refusedBefore = await refusals();
        await created(name, n, refusedBefore);
        await scale(name, 0);
        await untilUnrefused(`all ${n} unbound tasks of ${name} deleted`, refusedBefore, async () => {
          const left = (await tasksOf(name)).length;
          if (left > 0) throw new Error(`${left} of ${n} tasks left`);
          return true;
        }, boundFor(n));
        const statuses = await loop.client.getAll().prefix(`${statusPrefix(TASK, 'default')}${name}-`).keys();
        assert.deepEqual(statuses, [], 'statuses left behind by deleted tasks');
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      } finally {
        await forget(name);
      }
    });
  }

  SIZES.forEach((n, i) => {
    const drain = i % 2 === 0;
    it(`${n} instances bound and running: scaled to 0, all ${n} desiredState Killed and ${drain ? 'their assignments rewritten with the kill (drained)' : 'unassigned (drainSeconds 0)'}`, async () => {
      const name = `bound-${n}`;
      const node = `node-${name}`;
      try {
        const refusedBefore = await refusals();
        const tasks = await created(name, n, refusedBefore, drain ? undefined : 0);
        // as the scheduler and the agent would: Bound to a node with an assignment key, then Running
        await writeAll(loop.store, tasks, (txn, t) => {
          const m = t.object.metadata;
          const status = { ...t.object.status, state: 'Running' as const, nodeName: node, startedAt: new Date().toISOString() };
          txn.ifModRev(statusKey(TASK, 'default', m.name), t.statusRev).put(statusKey(TASK, 'default', m.name), JSON.stringify(status));
          txn.put(assignmentKey(node, 'default', m.name), JSON.stringify({ ...t.object, status }));
        });
        await untilUnrefused(`service ${name} to count ${n} running`, refusedBefore, async () => (await loop.store.get<Service>(SERVICE, 'default', name))?.object.status?.running === n, boundFor(n));

        await scale(name, 0);
        await untilUnrefused(`all ${n} tasks of ${name} asked to stop`, refusedBefore, async () => {
          const l = await tasksOf(name);
          const killed = l.filter((t) => t.object.spec.desiredState === 'Killed').length;
          if (l.length !== n || killed !== n) throw new Error(`${killed} of ${n} desiredState Killed (${l.length} tasks)`);
          return true;
        }, boundFor(n));
        if (drain) {
          await untilUnrefused(`all ${n} assignments on ${node} carrying the kill`, refusedBefore, async () => {
            const as = Object.values(await loop.client.getAll().prefix(assignmentPrefix(node)).strings()).map((v) => JSON.parse(v) as Task);
            const killed = as.filter((a) => a.spec.desiredState === 'Killed' && a.spec.drainSeconds === 2).length;
            if (as.length !== n || killed !== n) throw new Error(`${killed} of ${n} assignments carry the drained kill (${as.length} assignments)`);
            return true;
          }, boundFor(n));
        } else {
          await untilUnrefused(`all ${n} assignments on ${node} withdrawn`, refusedBefore, async () => {
            const left = (await loop.client.getAll().prefix(assignmentPrefix(node)).keys()).length;
            if (left > 0) throw new Error(`${left} of ${n} assignments left`);
            return true;
          }, boundFor(n));
        }
        // the kill asks; the agent ends it: until then the tasks stay, Running
        const l = await tasksOf(name);
        assert.equal(l.length, n);
        for (const t of l) assert.equal(t.object.status?.state, 'Running', t.object.metadata.name);
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      } finally {
        await forget(name, node);
      }
    });
  });
});
