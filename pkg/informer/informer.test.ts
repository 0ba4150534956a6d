/**
 * The informer's revision against watches it does not control the pace of
 * (a fake etcd client: the real one is in test/integration/informer.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IWatchResponse } from 'etcd3';
import { lookupKind } from '../api/kinds.js';
import { nopLogger } from '../log/logger.js';
import { specKey, statusKey } from '../store/keys.js';
import type { Store } from '../store/store.js';
import { Informer } from './informer.js';

const TASK = lookupKind('Task')!;

/** Watchers by prefix, each an emitter the test feeds; connected at once. */
function fakeStore(listRevision: string) {
  const watchers = new Map<string, EventEmitter>();
  const client = {
    watch: () => {
      let prefix = '';
      const b = {
        prefix: (p: string) => ((prefix = p), b),
        startRevision: () => b,
        watcher: () => {
          const w = Object.assign(new EventEmitter(), { cancel: async () => undefined });
          watchers.set(prefix, w);
          setImmediate(() => w.emit('connected'));
          return w;
        },
      };
      return b;
    },
  };
  const store = { client, list: async () => ({ items: [], revision: listRevision }) } as unknown as Store;
  return { store, watchers };
}

const task = (name: string) => ({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default' }, spec: { image: 'x' } });
const response = (header: number, events: { key: string; value: unknown; rev: number }[]): IWatchResponse =>
  ({
    header: { revision: String(header) },
    events: events.map((e) => ({ type: 'Put', kv: { key: Buffer.from(e.key), value: Buffer.from(JSON.stringify(e.value)), mod_revision: String(e.rev) } })),
  }) as unknown as IWatchResponse;

describe('Informer revision', () => {
  it('is how far both watches delivered, not a response header: a lagging watch holds it back', async () => {
    const { store, watchers } = fakeStore('10');
    const inf = new Informer(store, TASK, nopLogger);
    await inf.start();
    const spec = watchers.get('/stowage/tasks/')!;
    const status = watchers.get('/stowage/status/tasks/')!;
    assert.equal(inf.revision, '10', 'the list');
    // task a is created at 11 and bound at 12; the status watch delivers first, stamped with the store's revision 40
    status.emit('data', response(40, [{ key: statusKey(TASK, 'default', 'a'), value: { state: 'Bound' }, rev: 12 }]));
    assert.equal(inf.get('default/a'), undefined, 'its object has not arrived');
    assert.ok(BigInt(inf.revision) < 11n, `revision ${inf.revision} claims the create at 11 is in the cache`);
    // the spec watch, catching up, sends its events with the same current revision in its header
    spec.emit('data', response(40, [{ key: specKey(TASK, 'default', 'a'), value: task('a'), rev: 11 }]));
    assert.equal(inf.get('default/a')?.object.status?.state, 'Bound');
    assert.equal(inf.revision, '11', 'the spec watch delivered to 11, the status watch to 12');
    status.emit('data', response(41, [{ key: statusKey(TASK, 'default', 'a'), value: { state: 'Running' }, rev: 13 }]));
    spec.emit('data', response(41, [{ key: specKey(TASK, 'default', 'b'), value: task('b'), rev: 14 }]));
    assert.equal(inf.revision, '13');
    await inf.stop();
  });
});
