/** Commands end to end against an in-memory fake of the HTTP API. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyResource } from '../../api/types.js';
import { sendJson, startFakeApi, stowctl, svc, type FakeApi } from '../testutil.js';

let api: FakeApi;
let dir: string;
before(async () => {
  api = await startFakeApi();
  dir = mkdtempSync(join(tmpdir(), 'stowctl-test-'));
});
after(() => api.close());
beforeEach(() => api.reset());

const HELLO = `apiVersion: stowage/v1
kind: Service
metadata:
  name: hello
spec:
  instances: 3
  image: localhost/stowage-busybox:1
  resources: {cpus: 0.1, mem: 32, disk: 0}
---
apiVersion: stowage/v1
kind: Namespace
metadata:
  name: team-a
spec:
  weight: 1
`;

const cli = (...args: string[]) => stowctl(['--server', api.url, ...args]);
const applies = () => api.requests.filter((r) => r.path === '/api/v1/apply');

test('apply: one POST with every object, namespace from -n for namespaced kinds only; created then unchanged', async () => {
  const f = join(dir, 'hello.yaml');
  writeFileSync(f, HELLO);
  let r = await cli('apply', '-f', f, '-n', 'team-a');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'service/hello created\nnamespace/team-a created\n');
  assert.equal(applies().length, 1);
  const items = (applies()[0]!.body as { items: AnyResource[] }).items;
  assert.equal(items[0]!.metadata.namespace, 'team-a');
  assert.equal(items[1]!.metadata.namespace, undefined);
  r = await cli('-n', 'team-a', 'apply', '-f', f);
  assert.equal(r.out, 'service/hello unchanged\nnamespace/team-a unchanged\n');
});

test('apply: the default namespace, stdin, and -o name', async () => {
  const r = await stowctl(['--server', api.url, 'apply', '-f', '-', '-o', 'name'], {}, HELLO);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'service/hello\nnamespace/team-a\n');
  assert.equal((applies()[0]!.body as { items: AnyResource[] }).items[0]!.metadata.namespace, 'default');
});

test('apply: a directory is read in name order, only manifest files, not recursively unless -R', async () => {
  const d = join(dir, 'many');
  mkdirSync(join(d, 'sub'), { recursive: true });
  const doc = (name: string) => `{"apiVersion":"stowage/v1","kind":"Service","metadata":{"name":"${name}"},"spec":{"instances":1}}`;
  writeFileSync(join(d, 'b.yaml'), doc('b'));
  writeFileSync(join(d, 'a.json'), doc('a'));
  writeFileSync(join(d, 'c.yml'), doc('c'));
  writeFileSync(join(d, 'notes.txt'), 'not: a manifest');
  writeFileSync(join(d, 'sub', 'd.yaml'), doc('d'));
  let r = await cli('apply', '-f', d);
  assert.equal(r.out, 'service/a created\nservice/b created\nservice/c created\n');
  r = await cli('apply', '-R', '-f', d);
  assert.equal(r.out, 'service/a unchanged\nservice/b unchanged\nservice/c unchanged\nservice/d created\n');
});

test('apply: malformed YAML anywhere -> file, line and column, exit 1, nothing sent', async () => {
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(good, HELLO);
  writeFileSync(bad, 'apiVersion: stowage/v1\nkind: Service\nmetadata:\n  name: [oops\n');
  const r = await cli('apply', '-f', good, '-f', bad);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line \\d+, column \\d+: `));
  assert.equal(r.err.split('\n').length, 2, 'the message once, not repeated as a detail');
  assert.equal(applies().length, 0);
});

test('apply: a missing file is an error before anything is sent', async () => {
  const r = await cli('apply', '-f', join(dir, 'nope.yaml'));
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: the path ".*nope.yaml" does not exist\n$/);
  assert.equal(applies().length, 0);
});

test('apply: -n conflicting with the manifest namespace is refused', async () => {
  const f = join(dir, 'ns.yaml');
  writeFileSync(f, 'apiVersion: stowage/v1\nkind: Service\nmetadata: {name: x, namespace: prod}\nspec: {instances: 1}\n');
  const r = await cli('apply', '-f', f, '-n', 'dev');
  assert.equal(r.code, 1);
  assert.match(r.err, /is in namespace "prod", not "dev"/);
});

test('apply: the server refusing the batch -> its message and one line per field, with the file of each document', async () => {
  const f = join(dir, 'two.yaml');
  writeFileSync(f, HELLO);
  api.handle((req, res) =>
    req.path === '/api/v1/apply' &&
    sendJson(res, 422, {
      code: 'Invalid',
      message: '1 of 2 documents is invalid: document 1 (Service "hello"): spec.instances: must be >= 0',
      details: [
        { field: 'spec.instances', rule: 'minimum', message: 'document 1 (Service "hello"): spec.instances: must be >= 0', document: 1, object: 'Service "hello"' },
        { field: 'spec.image', rule: 'required', message: 'document 1 (Service "hello"): spec.image: is required', document: 1, object: 'Service "hello"' },
      ],
    }));
  const r = await cli('apply', '-f', f);
  assert.equal(r.code, 1);
  assert.equal(r.err, `error: ${f} document 1 (Service "hello") is invalid\n  spec.instances: must be >= 0\n  spec.image: is required\n`);
});

test('get -o json: the object; list -o json: a List', async () => {
  api.put(svc('hello'));
  let r = await cli('get', 'svc', 'hello', '-o', 'json');
  assert.equal(JSON.parse(r.out).metadata.name, 'hello');
  r = await cli('get', 'svc', '-o', 'json');
  const list = JSON.parse(r.out);
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items.map((i: AnyResource) => i.metadata.name), ['hello']);
});

test('an empty list -o json / -o yaml is an empty List on stdout, not nothing; a missing name prints no List', async () => {
  let r = await cli('get', 'tasks', '-o', 'json');
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), { apiVersion: 'stowage/v1', kind: 'List', items: [] });
  assert.equal(r.err, '');
  r = await cli('get', 'tasks', '-o', 'yaml');
  assert.equal(r.code, 0);
  assert.match(r.out, /^apiVersion: stowage\/v1\nkind: List\nitems: \[\]\n$/);
  r = await cli('get', 'svc', 'nope', '-o', 'json');
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
});

test('get with a label selector passes it on; an empty list says so on stderr', async () => {
  const r = await cli('get', 'tasks', '-l', 'stowage/owner=service/hello');
  assert.equal(r.code, 0);
  assert.equal(api.requests.at(-1)!.query.get('labelSelector'), 'stowage/owner=service/hello');
  assert.equal(r.out, '');
  assert.equal(r.err, 'No resources found in default namespace.\n');
});

test('delete by name, by KIND/NAME and from a file; missing is an error unless --ignore-not-found', async () => {
  api.put(svc('a'));
  api.put(svc('b'));
  let r = await cli('delete', 'svc', 'a');
  assert.equal(r.out, 'service/a deleted\n');
  r = await cli('delete', 'service/b', 'service/a');
  assert.equal(r.code, 1);
  assert.equal(r.out, 'service/b deleted\n');
  assert.equal(r.err, 'error: service "a" not found in namespace "default"\n');
  r = await cli('delete', 'svc', 'a', '--ignore-not-found');
  assert.equal(r.code, 0);
  const f = join(dir, 'del.yaml');
  writeFileSync(f, HELLO);
  await cli('apply', '-f', f);
  r = await cli('delete', '-f', f);
  assert.equal(r.out, 'service/hello deleted\nnamespace/team-a deleted\n');
  assert.equal(api.requests.at(-1)!.path, '/api/v1/namespaces/team-a');
});

test('scale: GET then PUT with the resourceVersion; a conflict is retried once', async () => {
  api.put(svc('web'));
  let conflicts = 1;
  api.handle((req, res) => {
    if (req.method === 'PUT' && conflicts > 0) {
      conflicts--;
      api.put(svc('web')); // someone else wrote meanwhile
      return sendJson(res, 409, { code: 'Conflict', message: 'conflict', details: [] });
    }
    return false;
  });
  const r = await cli('scale', 'service/web', '--instances', '5');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'service/web scaled from 3 to 5\n');
  const puts = api.requests.filter((q) => q.method === 'PUT');
  assert.equal(puts.length, 2);
  assert.ok((puts[1]!.body as AnyResource).metadata.resourceVersion);
  assert.equal(api.objects.get('services/default/web')!.spec.instances, 5);
});

test('cordon, uncordon, and drain deleting only live service tasks on the node', async () => {
  api.put({ apiVersion: 'stowage/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { capacity: { cpus: 1, mem: 1, disk: 1 }, portRanges: [], attributes: {} } });
  const task = (name: string, node: string, state: string, owner?: string, ns = 'default'): AnyResource => ({
    apiVersion: 'stowage/v1', kind: 'Task', metadata: { name, namespace: ns }, spec: { owner }, status: { state, nodeName: node },
  });
  api.put(task('s1', 'n1', 'Running', 'service/web'));
  api.put(task('s2', 'n1', 'Starting', 'service/api', 'team-a'));
  api.put(task('s3', 'n2', 'Running', 'service/web'));
  api.put(task('s4', 'n1', 'Failed', 'service/web'));
  api.put(task('j1', 'n1', 'Running', 'jobrun/report-1'));
  let r = await cli('cordon', 'n1');
  assert.equal(r.out, 'node/n1 cordoned\n');
  assert.equal(api.objects.get('nodes/_/n1')!.spec.unschedulable, true);
  r = await cli('uncordon', 'node/n1');
  assert.equal(r.out, 'node/n1 uncordoned\n');
  r = await cli('drain', 'n1');
  assert.equal(r.code, 0, r.err);
  assert.equal(api.objects.get('nodes/_/n1')!.spec.unschedulable, true);
  assert.deepEqual([...api.objects.keys()].filter((k) => k.startsWith('tasks/')).sort(), ['tasks/default/j1', 'tasks/default/s3', 'tasks/default/s4']);
  assert.match(r.out, /^node\/n1 cordoned\n/);
  assert.match(r.out, /task\/j1 \(namespace default\) left to finish: owned by jobrun\/report-1\n/);
  assert.match(r.out, /task\/s2 \(namespace team-a\) deleted; service\/api will replace it\n/);
  assert.match(r.out, /node\/n1 drained: 2 tasks deleted, 1 left to finish\n$/);
});

test('events --for filters by object; describe shows the service, its tasks and its events', async () => {
  api.put(svc('hello', { status: { instances: 3, running: 1, healthy: 1, deployment: { state: 'progressing', revision: 1 } } }));
  api.put({ apiVersion: 'stowage/v1', kind: 'Task', metadata: { name: 'hello-1', namespace: 'default', labels: { 'stowage/owner': 'service/hello' } }, spec: {}, status: { state: 'Pending', pendingReason: '0/1 nodes fit: 1 insufficient mem' } });
  const ev = (name: string, obj: string, reason: string, ts: string): AnyResource => ({
    apiVersion: 'stowage/v1', kind: 'Event', metadata: { name, namespace: 'default', labels: { 'stowage/involved': `service/${obj}`, 'stowage/service': obj } },
    spec: { type: 'Normal', reason, message: `${reason} happened`, involvedObject: { kind: 'Service', namespace: 'default', name: obj }, source: 'services', lastTimestamp: ts },
  });
  api.put(ev('e2', 'hello', 'Scaled', '2026-01-01T00:00:02Z'));
  api.put(ev('e1', 'hello', 'Created', '2026-01-01T00:00:01Z'));
  api.put(ev('e3', 'other', 'Other', '2026-01-01T00:00:03Z'));
  let r = await cli('events', '--for', 'svc/hello');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^LAST SEEN +TYPE +REASON +OBJECT +COUNT +MESSAGE\n.*Created.*\n.*Scaled.*\n$/);
  r = await cli('describe', 'service', 'hello');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Tasks:\n  NAME .*\n  hello-1 +Pending/);
  assert.match(r.out, /Pending:\n  hello-1: 0\/1 nodes fit: 1 insufficient mem\n/);
  assert.match(r.out, /Events:\n.*\n.*Created.*\n.*Scaled.*\n$/);
  assert.doesNotMatch(r.out, /Other/);
  const taskList = api.requests.find((q) => q.path === '/api/v1/tasks')!;
  assert.equal(taskList.query.get('labelSelector'), 'stowage/owner=service/hello');
  r = await cli('describe', 'svc', 'nope');
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: service "nope" not found in namespace "default"\n');
});

test('rollout undo posts the revision to the rollback endpoint', async () => {
  api.handle((req, res) => req.path === '/api/v1/services/default/hello/rollback' && sendJson(res, 200, { status: { deployment: { revision: 3 } } }));
  const r = await cli('rollout', 'undo', 'service/hello', '--to-revision', '1');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(api.requests.at(-1)!.body, { revision: 1 });
  assert.equal(r.out, 'service/hello rolled back to revision 1\n');
});

test('rollout restart posts to the restart endpoint; a missing service is an error', async () => {
  api.handle((req, res) => {
    if (!req.path.endsWith('/restart')) return false;
    if (req.path === '/api/v1/services/default/hello/restart') return sendJson(res, 200, { spec: { restartedAt: '2026-01-01T00:00:00Z' } });
    return sendJson(res, 404, { code: 'NotFound', message: 'service "nope" not found in namespace "default"' });
  });
  let r = await cli('rollout', 'restart', 'svc/hello');
  assert.equal(r.code, 0, r.err);
  assert.equal(api.requests.at(-1)!.method, 'POST');
  assert.equal(r.out, 'service/hello restarted (follow it with: stowctl rollout status service/hello)\n');
  r = await cli('rollout', 'restart', 'service/nope');
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: service "nope" not found in namespace "default"\n');
  r = await cli('rollout', 'restart', 'node/x');
  assert.equal(r.code, 1);
  assert.match(r.err, /service/);
});

test('version prints both; an unreachable server fails after the client line', async () => {
  let r = await cli('version');
  assert.equal(r.code, 0);
  assert.match(r.out, /^client: \d+\.\d+\.\d+\nserver: 9\.9\.9\n$/);
  r = await stowctl(['--server', 'http://127.0.0.1:1', 'version']);
  assert.equal(r.code, 1);
  assert.match(r.out, /^client: .*\nserver: unreachable at http:\/\/127\.0\.0\.1:1\n$/);
  assert.match(r.err, /ECONNREFUSED 127\.0\.0\.1:1/);
});

test('get reads a list in pages of --chunk-size, following continue, and prints one table', async () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  api.handle((req, res) => {
    if (req.method !== 'GET' || req.path !== '/api/v1/services') return false;
    const limit = Number(req.query.get('limit') ?? names.length);
    const from = Number(req.query.get('continue') ?? 0);
    const next = from + limit < names.length ? { continue: String(from + limit) } : {};
    return sendJson(res, 200, {
      apiVersion: 'stowage/v1',
      kind: 'List',
      metadata: { resourceVersion: '7', ...next },
      items: names.slice(from, from + limit).map((n) => svc(n)),
    });
  });
  let r = await cli('get', 'svc', '--chunk-size', '2');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trimEnd().split('\n').slice(1).map((l) => l.split(/ +/)[0]), names);
  const lists = () => api.requests.filter((q) => q.path === '/api/v1/services').map((q) => `${q.query.get('limit')} ${q.query.get('continue')}`);
  assert.deepEqual(lists(), ['2 null', '2 2', '2 4']);
  r = await cli('get', 'svc', '-o', 'json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out).items.length, 5);
  assert.equal(JSON.parse(r.out).metadata, undefined, 'a printed List carries no continue');
  assert.deepEqual(lists().slice(3), ['500 null'], 'pages of 500 by default');
  await cli('get', 'svc', '--chunk-size', '0');
  assert.deepEqual(lists().slice(4), ['null null'], '0: one answer');
  r = await cli('get', 'svc', '--chunk-size', 'x');
  assert.equal(r.code, 1);
  assert.match(r.err, /--chunk-size must be a whole number, got "x"/);
});

test('version --client prints the client only and asks no server', async () => {
  const before = api.requests.length;
  let r = await stowctl(['--server', 'http://127.0.0.1:1', 'version', '--client']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^client: \d+\.\d+\.\d+\n$/);
  r = await cli('version', '--client', '-o', 'json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(Object.keys(JSON.parse(r.out)), ['client']);
  assert.equal(api.requests.length, before);
});

test('logs streams the task log with follow and tail', async () => {
  api.handle((req, res) => {
    if (!req.path.endsWith('/log')) return false;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('line 1\n');
    setTimeout(() => res.end('line 2\n'), 20);
    return true;
  });
  const r = await cli('logs', 'hello-1', '-f', '--tail', '10', '-n', 'team-a');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'line 1\nline 2\n');
  const q = api.requests.at(-1)!;
  assert.equal(q.path, '/api/v1/tasks/team-a/hello-1/log');
  assert.equal(q.query.get('follow'), '1');
  assert.equal(q.query.get('tail'), '10');
});

/** Answer POSTs to jobs and jobruns subresources with status and body from f; records what was sent. */
const jobApi = (f: (sub: string, name: string, body: Record<string, unknown>) => [number, unknown]) =>
  api.handle((req, res) => {
    const m = /^\/api\/v1\/(?:jobs|jobruns)\/[^/]+\/([^/]+)\/([a-z-]+)$/.exec(req.path);
    if (req.method !== 'POST' || !m) return false;
    const [status, body] = f(m[2]!, m[1]!, (req.body ?? {}) as Record<string, unknown>);
    return sendJson(res, status, body);
  });
const run = (name: string, state = 'Pending', extra: Record<string, unknown> = {}) => ({ kind: 'JobRun', metadata: { name }, status: { state, attempts: 0, ...extra } });

test('job run: --env (repeatable) and --id in the body; 201 created, 200 the run that id started', async () => {
  let status = 201;
  jobApi(() => [status, run('report-m0123456789', status === 201 ? 'Pending' : 'Running')]);
  let r = await cli('job', 'run', 'report', '--env', 'A=1', '--env', 'B=x=y', '--id', 'nightly', '-n', 'team-a');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'jobrun/report-m0123456789 created\n');
  const q = api.requests.at(-1)!;
  assert.equal(q.path, '/api/v1/jobs/team-a/report/run');
  assert.deepEqual(q.body, { id: 'nightly', env: { A: '1', B: 'x=y' } });
  status = 200;
  r = await cli('job', 'run', 'job/report', '--id', 'nightly');
  assert.equal(r.out, 'jobrun/report-m0123456789 unchanged (started before with this --id; it is Running)\n');
  r = await cli('job', 'run', 'report', '-o', 'name');
  assert.deepEqual(api.requests.at(-1)!.body, {});
  assert.equal(r.out, 'jobrun/report-m0123456789\n');
});

test('job run --slot: ISO or unix seconds, sent as ISO; created, or a record restarted; a 409 is an error', async () => {
  let answer: [number, unknown] = [201, run('report-1796083200')];
  jobApi(() => answer);
  let r = await cli('job', 'run', 'report', '--slot', '1796083200');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(api.requests.at(-1)!.body, { slot: '2026-12-01T00:00:00.000Z' });
  assert.equal(r.out, 'jobrun/report-1796083200 created\n');
  answer = [200, run('report-1796083200')];
  r = await cli('job', 'run', 'report', '--slot', '2026-12-01T01:00:00+01:00');
  assert.deepEqual(api.requests.at(-1)!.body, { slot: '2026-12-01T00:00:00.000Z' });
  assert.equal(r.out, 'jobrun/report-1796083200 restarted (slot 2026-12-01T00:00:00Z had not run)\n');
  answer = [409, { code: 'Conflict', message: 'jobrun "report-1796083200" of slot 2026-12-01T00:00:00Z is Succeeded: a slot runs once', details: [{ field: 'slot', rule: 'once', message: 'x' }] }];
  r = await cli('job', 'run', 'report', '--slot', '1796083200');
  assert.equal(r.code, 1);
  assert.equal(r.err, 'error: jobrun "report-1796083200" of slot 2026-12-01T00:00:00Z is Succeeded: a slot runs once\n  slot: x\n');
});

test('job flags: a bad value exits non-zero naming the flag, and sends nothing', async () => {
  const cases: [string[], string][] = [
    [['job', 'run', 'report', '--env', 'A'], `error: option '--env <NAME=value>' argument 'A' is invalid. --env must be NAME=value, got "A"\n`],
    [['job', 'run', 'report', '--env', '1A=x'], `error: option '--env <NAME=value>' argument '1A=x' is invalid. --env: "1A" is not an environment variable name (a letter or '_', then letters, digits, '_', '.' or '-')\n`],
    [['job', 'run', 'report', '--id', ''], `error: option '--id <id>' argument '' is invalid. --id must be 1 to 253 characters, got 0\n`],
    [['job', 'run', 'report', '--slot', 'yesterday'], `error: option '--slot <time>' argument 'yesterday' is invalid. --slot must be an ISO 8601 date-time with a zone (such as 2026-12-01T00:00:00Z) or unix seconds, got "yesterday"\n`],
    [['job', 'run', 'report', '--slot', '1796083200', '--id', 'x'], 'error: --id cannot be given with --slot: the run of a slot is named by its slot\n'],
    [['job', 'run', 'report', '--slot', '1796083200', '--env', 'A=1'], "error: --env cannot be given with --slot: the run of a slot runs with the job's own environment\n"],
    [['job', 'backfill', 'report', '--from', '1796083200'], "error: required option '--to <time>' not specified\n"],
    [['job', 'backfill', 'report', '--from', '1796083202', '--to', '1796083200'], 'error: --from 2026-12-01T00:00:02Z is after --to 2026-12-01T00:00:00Z: the range runs from the older instant to the newer\n'],
    [['job', 'backfill', 'report', '--from', '2026-12-01', '--to', '1796083200'], `error: option '--from <time>' argument '2026-12-01' is invalid. --from must be an ISO 8601 date-time with a zone (such as 2026-12-01T00:00:00Z) or unix seconds, got "2026-12-01"\n`],
    [['job', 'run', 'service/report'], 'error: expected a job, got service/report\n'],
    [['job', 'mark-success', 'a', 'b'], 'error: expected one jobrun: jobrun/NAME or jobrun NAME\n'],
  ];
  for (const [args, err] of cases) {
    const r = await cli(...args);
    assert.deepEqual({ code: r.code, err: r.err }, { code: 1, err }, args.join(' '));
  }
  assert.equal(api.requests.length, 0);
});

test('job suspend --note, resume, backfill and mark-success: their endpoints and one line each', async () => {
  jobApi((sub, name) => {
    if (sub === 'backfill') {
      return [200, { runs: [
        { name: `${name}-1796083200`, slot: '2026-12-01T00:00:00.000Z', action: 'created', state: 'Pending' },
        { name: `${name}-1796083202`, slot: '2026-12-01T00:00:02.000Z', action: 'restarted', state: 'Pending' },
        { name: `${name}-1796083204`, slot: '2026-12-01T00:00:04.000Z', action: 'unchanged', state: 'Succeeded' },
      ] }];
    }
    if (sub === 'mark-success') return name === 'ok-1' ? [200, run(name, 'Succeeded')] : [200, run(name, 'Succeeded', { markedSuccess: true })];
    return [200, { kind: 'Job', metadata: { name }, spec: {} }];
  });
  let r = await cli('job', 'suspend', 'report', '--note', 'until Monday');
  assert.equal(r.out, 'job/report suspended\n');
  assert.deepEqual({ path: api.requests.at(-1)!.path, body: api.requests.at(-1)!.body }, { path: '/api/v1/jobs/default/report/suspend', body: { note: 'until Monday' } });
  r = await cli('job', 'resume', 'report');
  assert.equal(r.out, 'job/report resumed\n');
  assert.equal(api.requests.at(-1)!.path, '/api/v1/jobs/default/report/resume');
  r = await cli('job', 'backfill', 'report', '--from', '2026-12-01T00:00:00Z', '--to', '1796083204');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(api.requests.at(-1)!.body, { from: '2026-12-01T00:00:00.000Z', to: '2026-12-01T00:00:04.000Z' });
  assert.equal(r.out,
    'jobrun/report-1796083200 created (slot 2026-12-01T00:00:00Z)\n' +
    'jobrun/report-1796083202 restarted (slot 2026-12-01T00:00:02Z)\n' +
    'jobrun/report-1796083204 unchanged (slot 2026-12-01T00:00:04Z, Succeeded)\n');
  r = await cli('job', 'mark-success', 'report-1796083200');
  assert.equal(r.out, 'jobrun/report-1796083200 marked succeeded\n');
  assert.equal(api.requests.at(-1)!.path, '/api/v1/jobruns/default/report-1796083200/mark-success');
  r = await cli('job', 'mark-success', 'jobrun/ok-1');
  assert.equal(r.out, 'jobrun/ok-1 unchanged (it succeeded)\n');
});

test('job backfill of a range without slots says so', async () => {
  jobApi(() => [200, { runs: [] }]);
  const r = await cli('job', 'backfill', 'report', '--from', '1796083201', '--to', '1796083201');
  assert.equal(r.out, 'job/report has no slots from 2026-12-01T00:00:01Z to 2026-12-01T00:00:01Z\n');
});

test('describe job: its runs by label, its children from the jobs of its namespace', async () => {
  const job = (name: string, spec: Record<string, unknown>): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'Job', metadata: { name, namespace: 'default' }, spec: { image: 'x:1', retries: 0, concurrencyPolicy: 'Allow', ...spec } });
  api.put(job('report', { schedule: '0 * * * *' }));
  api.put(job('load', { parents: ['report'] }));
  api.put({ apiVersion: 'stowage/v1', kind: 'JobRun', metadata: { name: 'report-1767268800', namespace: 'default', labels: { 'stowage/job': 'report' } }, spec: { job: 'report' }, status: { state: 'Missed', reason: 'Suspended', attempts: 0 } });
  const r = await cli('describe', 'job', 'report');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\n  Children: +load\n/);
  assert.match(r.out, /\nRecent Runs:  <none>\nMissed and Skipped:\n  NAME .*\n  report-1767268800 +Missed +<none> +Suspended\n/);
  assert.equal(api.requests.find((q) => q.path === '/api/v1/jobruns')!.query.get('labelSelector'), 'stowage/job=report');
  assert.equal(api.requests.find((q) => q.path === '/api/v1/jobs')!.query.get('namespace'), 'default');
});

test('logs RUN: a name that is no task but a jobrun shows its newest task, with -f; jobrun/NAME goes there directly', async () => {
  api.handle((req, res) => {
    if (!req.path.endsWith('/log')) return false;
    if (req.path !== '/api/v1/tasks/default/report-1-bbbbb/log') return sendJson(res, 404, { code: 'NotFound', message: `task "${req.path.split('/')[5]}" not found in namespace "default"` });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('attempt 2\n');
    return true;
  });
  const runObj = (name: string, status: Record<string, unknown>): AnyResource => ({ apiVersion: 'stowage/v1', kind: 'JobRun', metadata: { name, namespace: 'default' }, spec: { job: 'report' }, status });
  api.put(runObj('report-1', { state: 'Failed', attempts: 2, tasks: ['report-1-aaaaa', 'report-1-bbbbb'] }));
  api.put(runObj('report-2', { state: 'Pending', attempts: 0 }));
  api.put(runObj('report-3', { state: 'Missed', attempts: 0, reason: 'StartingDeadlineExceeded' }));
  let r = await cli('logs', 'report-1', '-f');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'attempt 2\n');
  assert.deepEqual(api.requests.map((q) => q.path), ['/api/v1/tasks/default/report-1/log', '/api/v1/jobruns/default/report-1', '/api/v1/tasks/default/report-1-bbbbb/log']);
  assert.equal(api.requests.at(-1)!.query.get('follow'), '1');
  api.requests.length = 0;
  r = await cli('logs', 'jobrun/report-1');
  assert.equal(r.out, 'attempt 2\n');
  assert.deepEqual(api.requests.map((q) => q.path), ['/api/v1/jobruns/default/report-1', '/api/v1/tasks/default/report-1-bbbbb/log']);
  const errors: [string, string][] = [
    ['report-2', 'error: jobrun "report-2" has no tasks yet (it is Pending)\n'],
    ['jobrun/report-3', 'error: jobrun "report-3" has no tasks (it is Missed: StartingDeadlineExceeded)\n'],
    ['nope', 'error: no task or jobrun "nope" in namespace "default"\n'],
    ['task/nope', 'error: task "nope" not found in namespace "default"\n'],
    ['service/web', 'error: logs are kept per task: give a task or a jobrun, not service/web\n'],
  ];
  for (const [arg, err] of errors) {
    r = await cli('logs', arg);
    assert.deepEqual({ code: r.code, err: r.err }, { code: 1, err }, arg);
  }
});

test('get endpoints: the list (namespace, -A), by name (404 named, exit 1), -o json; -l and -w refused', async () => {
  const ep = (name: string, namespace = 'default') => ({
    apiVersion: 'stowage/v1', kind: 'Endpoints', metadata: { name, namespace },
    ports: [{ name: 'http', servicePort: 10080, addresses: [{ host: '127.0.0.1', port: 31000, task: `${name}-a`, node: 'n1' }] }],
  });
  api.handle((req, res) => {
    if (req.path === '/api/v1/endpoints') return sendJson(res, 200, { apiVersion: 'stowage/v1', kind: 'List', metadata: {}, items: req.query.get('namespace') ? [ep('web')] : [ep('web'), ep('db', 'prod')] });
    if (req.path === '/api/v1/services/default/web/endpoints') return sendJson(res, 200, ep('web'));
    if (req.path === '/api/v1/services/default/nope/endpoints') return sendJson(res, 404, { code: 'NotFound', message: 'service "nope" not found in namespace "default"', details: [] });
    return false;
  });
  let r = await cli('get', 'endpoints');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'SERVICE   PORT   SERVICE-PORT   ADDRESSES\nweb       http   10080          127.0.0.1:31000\n');
  assert.equal(api.requests.at(-1)!.query.get('namespace'), 'default');
  r = await cli('get', 'ep', '-A');
  assert.match(r.out, /^NAMESPACE +SERVICE +PORT +SERVICE-PORT +ADDRESSES\ndefault +web .*\nprod +db +http +10080 +127\.0\.0\.1:31000\n$/);
  r = await cli('get', 'endpoints', 'web', 'nope');
  assert.equal(r.code, 1);
  assert.match(r.out, /^SERVICE .*\nweb +http +10080 +127\.0\.0\.1:31000\n$/);
  assert.match(r.err, /service "nope" not found in namespace "default"/);
  r = await cli('get', 'endpoints/web', '-o', 'json');
  assert.equal(JSON.parse(r.out).kind, 'Endpoints');
  r = await cli('get', 'endpoints', '-w');
  assert.equal(r.code, 1);
  assert.match(r.err, /does not watch/);
  r = await cli('get', 'endpoints', '-l', 'a=b');
  assert.match(r.err, /endpoints have no labels/);
});
