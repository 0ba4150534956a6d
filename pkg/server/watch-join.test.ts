/** The join of spec and status keys into watch events, fed etcd watch responses by hand. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IWatchResponse } from 'etcd3';
import { lookupKind } from '../api/kinds.js';
import type { AnyResource } from '../api/types.js';
import { applyResponse, KindView, type WatchEvent } from './watch-join.js';

const SERVICE = lookupKind('Service')!;

type Change = [type: 'Put' | 'Delete', key: string, revision: number, value?: unknown];

function response(...changes: Change[]): IWatchResponse {
  const last = changes.at(-1)?.[2] ?? 0;
  return {
    header: { revision: String(last) },
    events: changes.map(([type, key, rev, value]) => ({
      type,
      kv: { key: Buffer.from(key), value: Buffer.from(value === undefined ? '' : JSON.stringify(value)), mod_revision: String(rev) },
    })),
  } as unknown as IWatchResponse;
}

const spec = (name: string, instances = 1) => ({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name, namespace: 'ns', labels: { app: name } }, spec: { instances } });

function feed(view: KindView, ...changes: Change[]): WatchEvent[] {
  const out: WatchEvent[] = [];
  applyResponse(response(...changes), (plural) => (plural === 'services' ? view : undefined), out);
  return out;
}

const brief = (events: WatchEvent[]) =>
  events.map((e) => {
    const text = e.frame.toString();
    const m = /^event: (\S+)\nid: (\d+)\ndata: (.*)\n\n$/s.exec(text);
    assert.ok(m, `a whole SSE event: ${JSON.stringify(text)}`);
    assert.equal(m[1], e.type);
    assert.equal(m[2], e.revision);
    return { type: e.type, id: e.revision, object: JSON.parse(m[3]!) as AnyResource };
  });

describe('KindView: watch events from spec and status keys', () => {
  it('an object written with its status in one revision is one ADDED; a later status write one MODIFIED', () => {
    const v = new KindView(SERVICE);
    const [added, ...rest] = brief(feed(v, ['Put', '/stowage/services/ns/a', 10, spec('a')], ['Put', '/stowage/status/services/ns/a', 10, { running: 0 }]));
    assert.equal(rest.length, 0);
    assert.deepEqual(added, { type: 'ADDED', id: '10', object: { ...spec('a'), metadata: { ...spec('a').metadata, resourceVersion: '10' }, status: { running: 0 } } });
    const [mod] = brief(feed(v, ['Put', '/stowage/status/services/ns/a', 12, { running: 1 }]));
    assert.equal(mod!.type, 'MODIFIED');
    assert.equal(mod!.id, '12');
    assert.equal(mod!.object.metadata.resourceVersion, '10', 'resourceVersion stays the spec revision');
    assert.deepEqual(mod!.object.status, { running: 1 });
    const [spec2] = brief(feed(v, ['Put', '/stowage/services/ns/a', 13, spec('a', 3)]));
    assert.deepEqual([spec2!.type, spec2!.object.spec, spec2!.object.status], ['MODIFIED', { instances: 3 }, { running: 1 }], 'a spec write keeps the status');
  });

  it('the JSON has the key order of an object read from the store: metadata.resourceVersion last in metadata, status last', () => {
    const v = new KindView(SERVICE);
    const [e] = feed(v, ['Put', '/stowage/services/ns/a', 5, spec('a')], ['Put', '/stowage/status/services/ns/a', 6, { running: 2 }]).slice(-1);
    assert.equal(
      e!.frame.toString(),
      'event: MODIFIED\nid: 6\ndata: {"apiVersion":"stowage/v1","kind":"Service","metadata":{"name":"a","namespace":"ns","labels":{"app":"a"},"resourceVersion":"5"},"spec":{"instances":1},"status":{"running":2}}\n\n',
    );
    assert.deepEqual([e!.namespace, e!.labels], ['ns', { app: 'a' }]);
  });

  it('an object deleted with its status is one DELETED with the object as it last was', () => {
    for (const order of [
      ['/stowage/status/services/ns/a', '/stowage/services/ns/a'],
      ['/stowage/services/ns/a', '/stowage/status/services/ns/a'],
    ]) {
      const w = new KindView(SERVICE);
      feed(w, ['Put', '/stowage/services/ns/a', 5, spec('a')], ['Put', '/stowage/status/services/ns/a', 6, { nodeName: 'n1' }]);
      const events = brief(feed(w, ['Delete', order[0]!, 9], ['Delete', order[1]!, 9]));
      assert.deepEqual(events.map((e) => [e.type, e.id, e.object.status]), [['DELETED', '9', { nodeName: 'n1' }]]);
      assert.equal(w.size, 0);
      assert.deepEqual(w.snapshot(() => true), []);
    }
  });

  it('a status key without its object is never shown, and joins the object when it comes', () => {
    const v = new KindView(SERVICE);
    assert.deepEqual(feed(v, ['Put', '/stowage/status/services/ns/a', 3, { running: 1 }]), []);
    assert.equal(v.size, 0);
    const [e] = brief(feed(v, ['Put', '/stowage/services/ns/a', 4, spec('a')]));
    assert.deepEqual([e!.type, e!.object.status], ['ADDED', { running: 1 }]);
    // the object goes, its status stays: DELETED; then the status goes too: nothing more
    assert.deepEqual(brief(feed(v, ['Delete', '/stowage/services/ns/a', 5])).map((x) => x.type), ['DELETED']);
    assert.deepEqual(feed(v, ['Delete', '/stowage/status/services/ns/a', 6]), []);
  });

  it('keys of other kinds and other key spaces are left alone', () => {
    const v = new KindView(SERVICE);
    const out = feed(
      v,
      ['Put', '/stowage/tasks/ns/t', 5, { metadata: { name: 't' } }],
      ['Put', '/stowage/assignments/n1/ns/t', 5, {}],
      ['Put', '/stowage/heartbeats/n1', 6, {}],
      ['Put', '/stowage/services/ns/a/extra', 7, spec('a')],
    );
    assert.deepEqual(out, []);
  });

  it('a re-list sends the differences as events of its revision', () => {
    const v = new KindView(SERVICE);
    feed(v, ['Put', '/stowage/services/ns/keep', 5, spec('keep')], ['Put', '/stowage/services/ns/change', 6, spec('change')], ['Put', '/stowage/services/ns/drop', 7, spec('drop')]);
    const stored = (name: string, rev: string, status?: unknown) => ({
      object: { ...spec(name), metadata: { ...spec(name).metadata, resourceVersion: rev }, ...(status ? { status } : {}) } as AnyResource,
      specRev: rev,
      statusRev: status ? '20' : '0',
    });
    const events = brief(v.replace([stored('keep', '5'), stored('change', '6', { running: 1 }), stored('new', '19')], '20'));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.id]),
      [
        ['MODIFIED', 'change', '20'],
        ['ADDED', 'new', '20'],
        ['DELETED', 'drop', '20'],
      ],
    );
    assert.equal(v.size, 3);
  });

  it('a snapshot holds what the filter keeps, in key order', () => {
    const v = new KindView(SERVICE);
    feed(v, ['Put', '/stowage/services/ns/z', 4, spec('z')], ['Put', '/stowage/services/ns/a', 5, spec('a')], ['Put', '/stowage/services/other/b', 6, { ...spec('b'), metadata: { name: 'b', namespace: 'other' } }]);
    const names = (want: (ns: string | undefined) => boolean) => v.snapshot(want).map((j) => (JSON.parse(j.toString()) as AnyResource).metadata.name);
    assert.deepEqual(names((ns) => ns === 'ns'), ['a', 'z']);
    feed(v, ['Put', '/stowage/services/ns/m', 7, spec('m')], ['Delete', '/stowage/services/ns/z', 8]);
    assert.deepEqual(names(() => true), ['a', 'm', 'b']);
  });

  it('a Task without a status key is Pending (its implied status) until its status key is written', () => {
    const TASK = lookupKind('Task')!;
    const v = new KindView(TASK);
    const task = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 't', namespace: 'ns' }, spec: { image: 'x' } };
    const at = (events: WatchEvent[]) => brief(events).map((e) => [e.type, e.object.status]);
    const feedTasks = (...c: Change[]) => {
      const out: WatchEvent[] = [];
      applyResponse(response(...c), (plural) => (plural === 'tasks' ? v : undefined), out);
      return out;
    };
    assert.deepEqual(at(feedTasks(['Put', '/stowage/tasks/ns/t', 5, task])), [['ADDED', { state: 'Pending' }]]);
    assert.deepEqual(at(feedTasks(['Put', '/stowage/status/tasks/ns/t', 6, { state: 'Bound', nodeName: 'n1' }])), [['MODIFIED', { state: 'Bound', nodeName: 'n1' }]]);
    assert.deepEqual(at(feedTasks(['Put', '/stowage/tasks/ns/t', 7, { ...task, spec: { image: 'y' } }])), [['MODIFIED', { state: 'Bound', nodeName: 'n1' }]], 'a spec write keeps the written status');
  });
});
