/**
 * The etcd client after etcd cancels watches (their start revision was
 * compacted away): other watchers on the same client keep working, and
 * cancelling the dead watchers, as their owners do, does not crash the
 * process (etcd3 1.1.2 threw "Failed to find watcher for IWatchResponse";
 * pkg/store/etcd-watch-fix.ts mends it).
 */
import { after, before, describe, it } from 'node:test';
import type { Etcd3, Watcher } from 'etcd3';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { until } from '../helpers/wait.js';

describe('etcd client watches after a compacted start revision (real etcd)', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  const watchers: Watcher[] = [];
  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
  });
  after(async () => {
    for (const w of watchers) await Promise.race([w.cancel().catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    client.close();
    etcd.stop();
  });

  it('a refused watch does not steal the next watcher\'s attach', async () => {
    for (let i = 0; i < 5; i++) await client.put(`/x/${i}`).value('v');
    const head = await client.get('/x/0').exec();
    await client.kv.compact({ revision: head.header.revision, physical: true });
    const errors: string[] = [];
    // two watches from a compacted revision, then a healthy one, all on one client
    for (const p of ['/a/', '/b/']) {
      const w = client.watch().prefix(p).startRevision('2').watcher();
      w.on('error', (e: Error) => errors.push(e.message));
      watchers.push(w);
    }
    const good = client.watch().prefix('/c/').watcher();
    watchers.push(good);
    const seen: string[] = [];
    good.on('put', (kv) => seen.push(kv.key.toString()));
    await until('both refused watches to fail', () => errors.length === 2, 5000);
    await until('the good watcher to attach', () => good.id !== null, 5000);
    await client.put('/c/1').value('v');
    await until('the good watcher to see its put', () => seen.includes('/c/1'), 5000);
    // their owners clean up: cancelling the watchers etcd already cancelled
    for (const w of watchers.slice(0, 2)) await w.cancel();
    await new Promise((r) => setTimeout(r, 300));
    await client.put('/c/2').value('v');
    await until('the good watcher to go on', () => seen.includes('/c/2'), 5000);
  });
});
