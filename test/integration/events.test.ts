/**
 * The event recorder against real etcd: repeats of one reason on one object
 * are one Event (a series) with a count, so a cluster under churn keeps a
 * bounded number of Event objects; a new series starts after 10 minutes of
 * quiet, or when the last Event of a series was collected.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from '../../pkg/api/kinds.js';
import type { AnyResource, Event } from '../../pkg/api/types.js';
import { EventRecorder, NEW_BURST, NEW_PER_SECOND, SERIES_MS } from '../../pkg/events/recorder.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { useEtcdStore } from '../helpers/etcd-store.js';

const EVENT = lookupKind('Event')!;
const svc = (name: string): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: {} });

describe('event recorder (real etcd)', () => {
  const e = useEtcdStore();
  const events = async (name: string) =>
    (await e.store.list<Event>(EVENT, 'default')).items.map((s) => s.object).filter((x) => x.spec.involvedObject.name === name);

  it('the same reason on the same object: one Event whose count, message and lastTimestamp follow', async () => {
    let now = Date.parse('2026-12-02T10:00:00Z');
    const r = new EventRecorder(e.store, 'test', nopLogger, undefined, () => now);
    for (let i = 1; i <= 50; i++) {
      r.normal(svc('web'), 'ScalingDown', `killing ${i} task(s)`);
      now += 5000;
    }
    r.warning(svc('web'), 'TaskFailed', 'task web-1 failed');
    await r.flushed();
    const got = await events('web');
    assert.equal(got.length, 2);
    const series = got.find((x) => x.spec.reason === 'ScalingDown')!;
    assert.equal(series.spec.count, 50);
    assert.equal(series.spec.message, 'killing 50 task(s)');
    assert.equal(series.spec.firstTimestamp, '2026-12-02T10:00:00.000Z');
    assert.equal(series.spec.lastTimestamp, new Date(Date.parse('2026-12-02T10:00:00Z') + 49 * 5000).toISOString());
  });

  it('a new series after 10 minutes of quiet, and when the last Event was collected', async () => {
    let now = Date.parse('2026-12-02T11:00:00Z');
    const r = new EventRecorder(e.store, 'test', nopLogger, undefined, () => now);
    r.normal(svc('api'), 'Creating', 'creating 1 task(s)');
    now += SERIES_MS;
    r.normal(svc('api'), 'Creating', 'creating 2 task(s)');
    await r.flushed();
    assert.equal((await events('api')).length, 2);
    for (const x of await events('api')) await e.store.remove(EVENT, 'default', x.metadata.name);
    now += 1000;
    r.normal(svc('api'), 'Creating', 'creating 3 task(s)');
    await r.flushed();
    const after = await events('api');
    assert.deepEqual(after.map((x) => [x.spec.count, x.spec.message]), [[1, 'creating 3 task(s)']]);
  });

  it('the same message again within a minute is not written at all', async () => {
    let now = Date.parse('2026-12-02T12:00:00Z');
    const r = new EventRecorder(e.store, 'test', nopLogger, undefined, () => now);
    for (let i = 0; i < 5; i++) {
      r.warning(svc('db'), 'Unhealthy', 'HTTP 500');
      now += 1000;
    }
    await r.flushed();
    assert.deepEqual((await events('db')).map((x) => x.spec.count), [1]);
  });

  it('an event about a task carries the labels --for selects on, and its series keeps them; timestamps strictly increase', async () => {
    const now = Date.parse('2026-12-02T13:00:00Z');
    const r = new EventRecorder(e.store, 'test', nopLogger, undefined, () => now);
    const task: AnyResource = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'shop-x1', namespace: 'default', labels: { 'stowage/owner': 'service/shop' } }, spec: {} };
    r.normal(task, 'Scheduled', 'assigned default/shop-x1 to n1');
    r.normal(task, 'Started', 'container a started on n1');
    r.normal(task, 'Started', 'container b started on n1');
    await r.flushed();
    const got = (await events('shop-x1')).sort((a, b) => (a.spec.lastTimestamp! < b.spec.lastTimestamp! ? -1 : 1));
    assert.deepEqual(got.map((x) => [x.spec.reason, x.spec.count, x.metadata.labels]), [
      ['Scheduled', 1, { 'stowage/involved': 'task/shop-x1', 'stowage/service': 'shop' }],
      ['Started', 2, { 'stowage/involved': 'task/shop-x1', 'stowage/service': 'shop' }],
    ]);
    // one clock reading for all three: still in the order recorded
    assert.equal(got[0]!.spec.lastTimestamp, '2026-12-02T13:00:00.000Z');
    assert.equal(got[1]!.spec.firstTimestamp, '2026-12-02T13:00:00.001Z');
    assert.equal(got[1]!.spec.lastTimestamp, '2026-12-02T13:00:00.002Z');
  });

  it('new Events past the budget (a burst, then a rate) are dropped; series already written go on counting', async () => {
    let now = Date.parse('2026-12-02T14:00:00Z');
    const r = new EventRecorder(e.store, 'test', nopLogger, undefined, () => now);
    const t = (i: number): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: `burst-${i}`, namespace: 'default', labels: { 'stowage/owner': 'service/burst' } }, spec: {} });
    for (let i = 0; i < NEW_BURST + 50; i++) r.normal(t(i), 'Started', 'started');
    r.normal(t(0), 'Started', 'started again'); // a series bump costs no budget
    await r.flushed();
    const all = (await e.store.list<Event>(EVENT, 'default')).items.map((s) => s.object).filter((x) => x.metadata.labels?.['stowage/service'] === 'burst');
    assert.equal(all.length, NEW_BURST);
    assert.equal(all.find((x) => x.spec.involvedObject.name === 'burst-0')!.spec.count, 2);
    now += 1000; // a second later: NEW_PER_SECOND more
    for (let i = 1000; i < 1000 + NEW_PER_SECOND + 5; i++) r.normal(t(i), 'Started', 'started');
    await r.flushed();
    const later = (await e.store.list<Event>(EVENT, 'default')).items.filter((s) => s.object.metadata.labels?.['stowage/service'] === 'burst');
    assert.equal(later.length, NEW_BURST + NEW_PER_SECOND);
  });
});
