/**
 * `stowctl events`: the table (COUNT, wide FIRST SEEN), the order (last seen,
 * then write order), `--for` as a label selector sent to the API (a service's
 * includes its tasks'), `-w` printing a series' update as a new row, and a
 * bad `--for` failing with the flag's name.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLabels, eventSelectorFor } from '../../api/event-labels.js';
import type { AnyResource, Event } from '../../api/types.js';
import { run } from '../program.js';
import { captureIo, startFakeApi, stowctl, type FakeApi } from '../testutil.js';
import { forSelector } from './events.js';

let api: FakeApi;
before(async () => (api = await startFakeApi()));
after(() => api.close());
beforeEach(() => api.reset());

const NOW = new Date('2026-12-02T10:00:00Z');
const at = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const cli = (...args: string[]) => stowctl(['--server', api.url, ...args], { now: () => NOW });

function ev(name: string, obj: AnyResource, reason: string, first: number, last: number, count: number, rv: string, type: 'Normal' | 'Warning' = 'Normal'): Event {
  return {
    apiVersion: 'stowage/v1', kind: 'Event',
    metadata: { name, namespace: 'default', resourceVersion: rv, labels: eventLabels(obj) },
    spec: {
      type, reason, message: `${reason} of ${obj.metadata.name}`, source: 'leader',
      involvedObject: { kind: obj.kind, namespace: 'default', name: obj.metadata.name },
      firstTimestamp: at(first), lastTimestamp: at(last), count,
    },
  } as Event;
}
const service = (name: string): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: {} });
const task = (name: string, owner: string): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: 'default', labels: { 'stowage/owner': owner } }, spec: {} });
const node = (name: string): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Node', metadata: { name }, spec: {} });

test('events labels name the object and the service or job it belongs to', () => {
  assert.deepEqual(eventLabels(service('web')), { 'stowage/involved': 'service/web', 'stowage/service': 'web' });
  assert.deepEqual(eventLabels(task('web-x1', 'service/web')), { 'stowage/involved': 'task/web-x1', 'stowage/service': 'web' });
  const runTask: AnyResource = { apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'r-1-ab', labels: { 'stowage/owner': 'jobrun/r-1', 'stowage/job': 'r' } }, spec: {} };
  assert.deepEqual(eventLabels(runTask), { 'stowage/involved': 'task/r-1-ab', 'stowage/job': 'r' });
  assert.deepEqual(eventLabels({ apiVersion: 'stowage/v1', kind: 'Job', metadata: { name: 'r' }, spec: {} }), { 'stowage/involved': 'job/r', 'stowage/job': 'r' });
  assert.deepEqual(eventLabels(node('n1')), { 'stowage/involved': 'node/n1' });
  // a value past 63 characters is left out rather than refused
  assert.deepEqual(eventLabels(task('t'.repeat(60), 'service/web')), { 'stowage/service': 'web' });
});

test('--for: a service or job selects by its label, anything else by the involved object', () => {
  assert.equal(forSelector('service/web'), 'stowage/service=web');
  assert.equal(forSelector('svc/web'), 'stowage/service=web');
  assert.equal(forSelector('job/report'), 'stowage/job=report');
  assert.equal(forSelector('node/n1'), 'stowage/involved=node/n1');
  assert.equal(forSelector('task/web-x1'), 'stowage/involved=task/web-x1');
  assert.equal(forSelector(undefined), undefined);
  assert.equal(eventSelectorFor('Task', 'a'), 'stowage/involved=task/a');
});

test('a bad --for exits 1 naming the flag, and asks the API nothing', async () => {
  let r = await cli('events', '--for', 'web');
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: invalid --for: "web" is not of the form KIND/NAME (e.g. service/hello)\n');
  r = await cli('events', '--for', 'widget/web');
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: invalid --for: unknown kind "widget"; known kinds: /);
  r = await cli('events', '--for');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /--for <kind\/name>/);
  assert.equal(api.requests.filter((q) => q.path === '/api/v1/events').length, 0);
});

test('the table: by last seen (then write order), COUNT, and -o wide adds SOURCE and FIRST SEEN before MESSAGE', async () => {
  const web = service('web');
  api.put(ev('e-late', task('web-a', 'service/web'), 'Killed', 50, 10, 1, '30', 'Normal'));
  api.put(ev('e-series', web, 'ScalingDown', 600, 120, 7, '20'));
  api.put(ev('e-same-ms-2', web, 'DeploymentComplete', 10, 10, 1, '31'));
  api.put(ev('e-early', node('n1'), 'NodeNotReady', 300, 300, 1, '5', 'Warning'));
  let r = await cli('events');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out,
    'LAST SEEN   TYPE      REASON               OBJECT        COUNT   MESSAGE\n' +
    '5m          Warning   NodeNotReady         node/n1       1       NodeNotReady of n1\n' +
    '2m          Normal    ScalingDown          service/web   7       ScalingDown of web\n' +
    '10s         Normal    Killed               task/web-a    1       Killed of web-a\n' +
    '10s         Normal    DeploymentComplete   service/web   1       DeploymentComplete of web\n');
  r = await cli('events', '-o', 'wide');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^LAST SEEN +TYPE +REASON +OBJECT +COUNT +SOURCE +FIRST SEEN +MESSAGE$/);
  assert.match(lines[2]!, /^2m +Normal +ScalingDown +service\/web +7 +leader +10m +ScalingDown of web$/);
});

test('--for service/NAME lists the service\'s events and its tasks\', through the API\'s label selector', async () => {
  api.put(ev('a', service('web'), 'DeploymentStarted', 30, 30, 1, '1'));
  api.put(ev('b', task('web-a', 'service/web'), 'Scheduled', 20, 20, 1, '2'));
  api.put(ev('c', task('api-a', 'service/api'), 'Scheduled', 15, 15, 1, '3'));
  api.put(ev('d', node('n1'), 'NodeLost', 10, 10, 1, '4', 'Warning'));
  const r = await cli('events', '--for', 'service/web');
  assert.equal(r.code, 0, r.err);
  const list = api.requests.find((q) => q.path === '/api/v1/events')!;
  assert.equal(list.query.get('labelSelector'), 'stowage/service=web');
  assert.deepEqual(r.out.trim().split('\n').slice(1).map((l) => l.split(/ {2,}/)[3]), ['service/web', 'task/web-a']);
  const none = await cli('events', '--for', 'service/nope');
  assert.equal(none.code, 0);
  assert.equal(none.err, 'No events found in default namespace.\n');
});

test('-w: after the list, a series\' new count arrives as a new row, on a stream with the same selector', async () => {
  const web = service('web');
  api.put(ev('a', web, 'ScalingDown', 60, 60, 1, '1'));
  const c = captureIo();
  const ac = new AbortController();
  const done = run(['--server', api.url, 'events', '--for', 'service/web', '-w'], c.io, { signal: ac.signal, now: () => NOW });
  const watches = () => api.requests.filter((q) => q.path === '/api/v1/events' && q.query.get('watch') === '1');
  await until('the watch', () => watches().length === 1);
  assert.equal(watches()[0]!.query.get('labelSelector'), 'stowage/service=web');
  api.emit('MODIFIED', ev('a', web, 'ScalingDown', 60, 5, 2, '9'), '9');
  api.emit('ADDED', ev('b', task('web-b', 'service/web'), 'Started', 4, 4, 1, '10'), '10');
  await until('two more rows', () => c.out().split('\n').length === 5);
  ac.abort();
  assert.equal(await done, 0);
  const rows = c.out().trim().split('\n');
  assert.match(rows[0]!, /^LAST SEEN +TYPE +REASON +OBJECT +COUNT +MESSAGE$/);
  assert.match(rows[1]!, /^60s +Normal +ScalingDown +service\/web +1 /);
  assert.match(rows[2]!, /^5s +Normal +ScalingDown +service\/web +2 /);
  assert.match(rows[3]!, /^4s +Normal +Started +task\/web-b +1 /);
});

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
