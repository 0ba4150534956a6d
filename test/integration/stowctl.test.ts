/**
 * The built stowctl (bin/stowctl, from `make build`) against a real
 * `stowage server` on a real etcd: what a user sees at the terminal.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STOWCTL = join(ROOT, 'bin/stowctl');
const STOWAGE = join(ROOT, 'bin/stowage');

interface Result {
  code: number;
  out: string;
  err: string;
}

function stowctl(server: string, args: string[], stdin?: string): Promise<Result> {
  return new Promise((res) => {
    const p = execFile(STOWCTL, args, { env: { ...process.env, STOWAGE_SERVER: server }, timeout: 30_000 }, (e, out, err) =>
      res({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
    );
    if (stdin !== undefined) p.stdin!.end(stdin);
  });
}

const HELLO = `apiVersion: stowage/v1
kind: Service
metadata:
  name: hello
spec:
  instances: 3
  image: localhost/stowage-busybox:1
  command: ["/bin/sh", "-c", "exec httpd -f -p $PORT0 -h /www"]
  resources: {cpus: 0.1, mem: 32, disk: 0}
  ports: [{name: http}]
`;

describe('stowctl against a real server', () => {
  let etcd: TestEtcd;
  let server: ServerProc;
  let url: string;
  let dir: string;

  before(async () => {
    assert.ok(existsSync(STOWCTL) && existsSync(STOWAGE), 'run `make build` first: bin/stowctl and bin/stowage are missing');
    dir = mkdtempSync(join(tmpdir(), 'stowctl-it-'));
    etcd = await startEtcd();
    server = await spawnServer(etcd.endpoint, [], [], { built: true, until: 'up' });
    url = server.url;
  });

  after(async () => {
    await server?.stop();
    etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('apply: created, then unchanged, then configured', async () => {
    const f = join(dir, 'hello.yaml');
    writeFileSync(f, HELLO);
    let r = await stowctl(url, ['apply', '-f', f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'service/hello created\n');
    r = await stowctl(url, ['apply', '-f', f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'service/hello unchanged\n');
    writeFileSync(f, HELLO.replace('instances: 3', 'instances: 2'));
    r = await stowctl(url, ['apply', '-f', f]);
    assert.equal(r.out, 'service/hello configured\n');
  });

  it('get -o json: the object with its spec; -o name; the table', async () => {
    let r = await stowctl(url, ['get', 'svc', 'hello', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out);
    assert.equal(o.kind, 'Service');
    assert.equal(o.metadata.namespace, 'default');
    assert.equal(o.spec.instances, 2);
    r = await stowctl(url, ['-o', 'name', 'get', 'services']);
    assert.equal(r.out, 'service/hello\n');
    r = await stowctl(url, ['get', 'svc']);
    assert.match(r.out, /^NAME +INSTANCES +RUNNING +HEALTHY +DEPLOYMENT +AGE\nhello +2 /);
  });

  it('malformed YAML: file, line and column; exit 1; nothing applied', async () => {
    const good = join(dir, 'a-good.yaml');
    const bad = join(dir, 'b-bad.yaml');
    writeFileSync(good, HELLO.replace('name: hello', 'name: never'));
    writeFileSync(bad, 'apiVersion: stowage/v1\nkind: Service\nmetadata:\n  name: [broken\nspec: {}\n');
    const r = await stowctl(url, ['apply', '-f', good, '-f', bad]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line \\d+, column \\d+: `));
    const g = await stowctl(url, ['get', 'svc', 'never']);
    assert.equal(g.code, 1);
    assert.equal(g.err, 'error: service "never" not found in namespace "default"\n');
  });

  it('a schema error names the field; nothing of the batch is written', async () => {
    const f = join(dir, 'invalid.yaml');
    writeFileSync(f, HELLO.replace('name: hello', 'name: other') + '---\n' + HELLO.replace('name: hello', 'name: acc-bad').replace('instances: 3', 'instances: -1'));
    const r = await stowctl(url, ['apply', '-f', f]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: /);
    assert.match(r.err, /spec\.instances/);
    assert.match(r.err, /acc-bad/);
    const g = await stowctl(url, ['get', 'svc', 'other']);
    assert.equal(g.code, 1, 'the valid object of the batch was not written either');
  });

  it('scale, delete and a missing object', async () => {
    let r = await stowctl(url, ['scale', 'service/hello', '--instances', '4']);
    assert.equal(r.code, 0, r.err);
    r = await stowctl(url, ['get', 'svc', 'hello', '-o', 'json']);
    assert.equal(JSON.parse(r.out).spec.instances, 4);
    r = await stowctl(url, ['scale', 'service/hello', '--instances', '-3']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /--instances.*>= 0/);
    r = await stowctl(url, ['delete', 'svc', 'hello']);
    assert.equal(r.out, 'service/hello deleted\n');
    r = await stowctl(url, ['delete', 'svc', 'hello']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'error: service "hello" not found in namespace "default"\n');
  });

  it('version names both sides', async () => {
    const r = await stowctl(url, ['version']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^client: \S+\nserver: \S+\n$/);
  });

  it('an unreachable server: the address tried and the cause', async () => {
    const r = await stowctl('http://127.0.0.1:1', ['get', 'svc']);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'error: cannot reach the Stowage server at http://127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is it running? set --server or STOWAGE_SERVER\n',
    );
  });
});
