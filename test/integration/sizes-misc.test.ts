/**
 * The other batching paths at sizes around etcd's transaction budget (63,
 * 64, 65, 200, 1,000 items), against real etcd:
 *
 *   garbage collector  N Events older than 1 h ──► all deleted (2 compares, 2 deletes each; fenced,
 *                      run by a newly elected leader, which expires events at once)
 *   agent              N tracked tasks, one status update each ──► all written (unfenced, 40 per txn)
 *   API                POST /api/v1/apply with N objects ──► all created (200); again changed ──► all configured;
 *                      N creates at once ──► all created (shared transactions, CreateBatcher)
 *
 * Every case also checks that nothing was refused.
 */
import { writeTaskStatuses } from '../../pkg/store/task-status-batch.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import { API_VERSION, type Event, type Namespace, type Service, type Task } from '../../pkg/api/types.js';
import { StatusWriter } from '../../pkg/agent/sync/status-writer.js';
import { GarbageCollector } from '../../pkg/controllers/gc/controller.js';
import { InformerFactory } from '../../pkg/informer/factory.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { ApiServer } from '../../pkg/server/http.js';
import { specKey } from '../../pkg/store/keys.js';
import { Store } from '../../pkg/store/store.js';
import { freePort } from '../helpers/etcd.js';
import { useEtcdStore } from '../helpers/etcd-store.js';
import { call } from '../helpers/http.js';
import { runAsLeader } from '../helpers/leader.js';
import { use } from '../helpers/use.js';
import { SIZES, boundFor, deletePrefixes, refusals, untilUnrefused, writeAll } from '../helpers/sizes.js';

const EVENT = lookupKind('Event')!;
const TASK = lookupKind('Task')!;
const SERVICE = lookupKind('Service')!;
const NAMESPACE = lookupKind('Namespace')!;
const HOUR = 60 * 60 * 1000;

const event = (name: string, ageMs: number): Event => {
  const at = new Date(Date.now() - ageMs).toISOString();
  return {
    apiVersion: API_VERSION,
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    spec: { type: 'Normal', reason: 'Test', message: name, involvedObject: { kind: 'Node', name: 'n1' }, source: 'test', firstTimestamp: at, lastTimestamp: at, count: 1 },
  };
};

describe('other batching paths at batch sizes (real etcd)', () => {
  const db = useEtcdStore();

  describe('garbage collector: events past their hour (fenced)', () => {
    const eventsNamed = async (prefix: string) => (await db.store.list<Event>(EVENT, 'default')).items.map((e) => e.object.metadata.name).filter((x) => x.startsWith(prefix));

    for (const n of SIZES) {
      it(`${n} expired events: all deleted, the young ones kept`, async () => {
        const old = Array.from({ length: n }, (_, i) => event(`old-${n}-${i}`, 2 * HOUR));
        const young = Array.from({ length: 3 }, (_, i) => event(`young-${n}-${i}`, HOUR / 2));
        await writeAll(db.store, [...old, ...young], (txn, e) => Store.addCreate(txn, EVENT, e));
        const refusedBefore = await refusals();
        // a newly elected leader's collector expires events at once
        const informers = new InformerFactory(db.store, nopLogger);
        const leader = await runAsLeader(db.client, [new GarbageCollector({ store: db.store, informers, log: nopLogger })]);
        try {
          await untilUnrefused(`all ${n} expired events deleted`, refusedBefore, async () => {
            const left = (await eventsNamed(`old-${n}-`)).length;
            if (left > 0) throw new Error(`${left} of ${n} left`);
            return true;
          }, boundFor(n));
          assert.deepEqual((await eventsNamed(`young-${n}-`)).sort(), young.map((e) => e.metadata.name).sort(), 'young events kept');
          assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
        } finally {
          await leader.stop();
          await informers.stop();
          // none of this case's events left for the next case's collector
          await deletePrefixes(db.client, [specKey(EVENT, 'default', `old-${n}-`), specKey(EVENT, 'default', `young-${n}-`)]);
        }
      });
    }
  });

  describe('agent status writer: one update for each of N tasks', () => {
    for (const n of SIZES) {
      it(`${n} tasks: all ${n} statuses written`, async () => {
        const node = `agent-${n}`;
        const tasks: Task[] = Array.from({ length: n }, (_, i) => ({
          apiVersion: API_VERSION,
          kind: 'Task',
          metadata: { name: `${node}-t${i}`, namespace: 'default' },
          spec: { image: 'x', resources: { cpus: 0.01, mem: 1, disk: 0 } },
          status: { state: 'Bound', nodeName: node },
        }));
        await writeAll(db.store, tasks, (txn, t) => Store.addCreate(txn, TASK, t));
        const stored = (await db.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.status?.nodeName === node);
        assert.equal(stored.length, n);
        const refusedBefore = await refusals();
        const writer = new StatusWriter({ write: (items) => writeTaskStatuses(db.store, items) }, nopLogger);
        const external: string[] = [];
        try {
          for (const t of stored) {
            const m = t.object.metadata;
            writer.track(m.uid!, 'default', m.name, t.object.status!, t.statusRev, () => external.push(m.name));
          }
          for (const t of stored) writer.update(t.object.metadata.uid!, { state: 'Running', containerId: `c-${t.object.metadata.name}`, startedAt: new Date().toISOString() });
          await untilUnrefused(`all ${n} statuses Running`, refusedBefore, async () => {
            const l = (await db.store.list<Task>(TASK, 'default')).items.filter((t) => t.object.status?.nodeName === node);
            const running = l.filter((t) => t.object.status?.state === 'Running' && t.object.status.containerId === `c-${t.object.metadata.name}`).length;
            if (running !== n) throw new Error(`${running} of ${n} Running`);
            return true;
          }, boundFor(n));
          await writer.idle();
        } finally {
          writer.close();
        }
        assert.deepEqual(external, [], 'no status changed under the writer');
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      });
    }
  });

  describe('API: apply and create N objects', () => {
    const api = use(async () => {
      const server = new ApiServer({ store: db.store, log: nopLogger, ready: () => ({ isLeader: true }) });
      const url = `http://${await server.listen('127.0.0.1', await freePort())}`;
      return { url, server, stop: () => server.close() };
    });
    const svc = (name: string, instances: number): Service =>
      ({ apiVersion: API_VERSION, kind: 'Service', metadata: { name, namespace: 'default' }, spec: { image: 'img', command: ['sleep', '600'], instances, resources: { cpus: 0.1, mem: 16 } } }) as Service;

    for (const n of SIZES) {
      it(`apply of ${n} services: all created (200), then all configured`, async () => {
        const refusedBefore = await refusals();
        const names = Array.from({ length: n }, (_, i) => `apply-${n}-${i}`);
        const first = await call(api.url, 'POST', '/api/v1/apply', { items: names.map((x) => svc(x, 1)) }, { timeoutMs: boundFor(n) });
        assert.equal(first.status, 200, first.text.slice(0, 300));
        assert.equal(first.json.results.length, n);
        assert.deepEqual([...new Set(first.json.results.map((r: { action: string }) => r.action))], ['created']);
        const stored = async () => (await db.store.list<Service>(SERVICE, 'default')).items.filter((s) => s.object.metadata.name.startsWith(`apply-${n}-`));
        assert.equal((await stored()).length, n);

        const again = await call(api.url, 'POST', '/api/v1/apply', { items: names.map((x) => svc(x, 2)) }, { timeoutMs: boundFor(n) });
        assert.equal(again.status, 200, again.text.slice(0, 300));
        assert.deepEqual([...new Set(again.json.results.map((r: { action: string }) => r.action))], ['configured']);
        const l = await stored();
        assert.equal(l.length, n);
        for (const s of l) {
          assert.equal(s.object.spec.instances, 2, s.object.metadata.name);
          assert.equal(s.object.metadata.generation, 2, s.object.metadata.name);
        }
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      });
    }

    for (const n of SIZES) {
      it(`${n} creates at once (what concurrent POSTs become): all created`, async () => {
        const refusedBefore = await refusals();
        const names = Array.from({ length: n }, (_, i) => `ns-${n}-${i}`);
        // all queued in one tick, so they pile up behind the transactions in flight and share bigger ones
        // (over HTTP, requests arrive one by one and never fill a transaction on this machine)
        const created = await Promise.allSettled(
          names.map((name) => api.server.objects.create(NAMESPACE, { apiVersion: API_VERSION, kind: 'Namespace', metadata: { name }, spec: { weight: 1 } })),
        );
        const failed = created.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        assert.deepEqual([...new Set(failed)], [], 'creates that failed');
        const stored = (await db.store.list<Namespace>(NAMESPACE)).items.map((s) => s.object.metadata.name).filter((x) => x.startsWith(`ns-${n}-`));
        assert.deepEqual(stored.sort(), names.sort());
        assert.equal(await refusals(), refusedBefore, 'a transaction was refused');
      });
    }
  });
});
