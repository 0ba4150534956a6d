/**
 * An apply too big for one etcd transaction (over 128 operations), against
 * real etcd, with another writer striking between its transactions: the
 * objects not yet written are read again and written, what was written is
 * reported once, and a conflict that persists says how much was written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { ApiError } from '../../pkg/api/errors.js';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { Service } from '../../pkg/api/types.js';
import { Objects } from '../../pkg/server/objects.js';
import { Store } from '../../pkg/store/store.js';
import type { Txn } from '../../pkg/store/txn.js';
import { useEtcdStore } from '../helpers/etcd-store.js';

const SERVICE = lookupKind('Service')!;

const svc = (name: string, instances = 1): Service =>
  ({
    apiVersion: 'stowage/v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { image: 'localhost/stowage-busybox:1', command: ['sleep', '600'], instances, resources: { cpus: 0.1, mem: 16 } },
  }) as Service;

/** A Store whose transactions call `before(n)` ahead of their n-th commit (n from 1). */
class StrikingStore extends Store {
  commits = 0;
  constructor(client: Etcd3, private readonly strike: (n: number) => Promise<void>) {
    super(client);
  }
  override txn(): Txn {
    const t = super.txn();
    const commit = t.commit.bind(t);
    t.commit = async () => {
      await this.strike(++this.commits);
      return commit();
    };
    return t;
  }
}

describe('apply of a batch over one transaction', () => {
  const db = useEtcdStore();

  it('a create by someone else between its transactions: the rest is read again and written, each result reported once', async () => {
    const items = Array.from({ length: 150 }, (_, i) => svc(`a-${i}`));
    // After the first transaction commits, someone creates the last object with another spec.
    const store = new StrikingStore(db.client, async (n) => {
      if (n === 2) await db.store.create(SERVICE, svc('a-149', 7));
    });
    const res = await new Objects(store).apply(items);
    assert.equal(res.length, 150);
    assert.deepEqual(
      res.filter((r) => r.action !== 'created').map((r) => `${r.name} ${r.action}`),
      ['a-149 configured'],
      'what the first transaction wrote stays "created"; the object created meanwhile is configured',
    );
    const l = await db.store.list(SERVICE, 'default');
    assert.equal(l.items.filter((s) => s.object.metadata.name.startsWith('a-')).length, 150);
    assert.equal((await db.store.get(SERVICE, 'default', 'a-149'))!.object.spec.instances, 1, 'the apply wins over the earlier write');
  });

  it('a conflict that persists: the error says how many objects were written and which', async () => {
    const items = Array.from({ length: 150 }, (_, i) => svc(`b-${i}`));
    let bump = 0;
    // Before every transaction but the first, someone changes the last object again.
    const store = new StrikingStore(db.client, async (n) => {
      if (n < 2) return;
      const cur = await db.store.get<Service>(SERVICE, 'default', 'b-149');
      if (!cur) await db.store.create(SERVICE, svc('b-149', 100 + bump++));
      else await db.store.update(SERVICE, { ...cur.object, spec: { ...cur.object.spec, instances: 100 + bump++ } }, cur, cur.specRev);
    });
    let said = NaN;
    await assert.rejects(new Objects(store).apply(items), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === 'Conflict', String(e));
      const m = / (\d+) of 150 objects were written before the conflict \(service\/b-0, /.exec(e.message);
      assert.ok(m, e.message);
      said = Number(m[1]);
      return true;
    });
    const written = (await db.store.list<Service>(SERVICE, 'default')).items.filter((s) => s.object.metadata.name.startsWith('b-') && s.object.spec.instances === 1);
    assert.ok(written.length > 0 && written.length < 150, `some but not all written (${written.length})`);
    assert.equal(said, written.length, 'the error counts what is in etcd');
  });
});
