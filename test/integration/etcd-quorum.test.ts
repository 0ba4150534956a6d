/**
 * A real `bin/stowage server` on a real three-member etcd cluster:
 *
 *   one follower killed ──► an apply still succeeds within a second
 *   (it back) the raft leader killed ──► an apply succeeds after one etcd election
 *                           (etcd's election timeout is 1 s: up to ~2 s on a loaded machine)
 *   two killed (no quorum) ──► /readyz 503 within 1.5 s naming etcd and the reason,
 *                           writes 503 naming etcd, the process lives, and the log
 *                           says "loops paused" once (not once per failure)
 *   members back        ──► /readyz 200 and the loops resume (a new service gets its task)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource } from '../../pkg/api/types.js';
import { startEtcdCluster, type TestEtcdCluster } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { sleep, until } from '../helpers/wait.js';

const svc = (name: string): AnyResource => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances: 1, image: 'localhost/stowage-busybox:1', command: ['sleep', '1000'], resources: { cpus: 0.1, mem: 16 } },
});
const apply = (base: string, name: string) => call(base, 'POST', '/api/v1/apply', { items: [svc(name)] }, { timeoutMs: 30_000 });

/** The server's log lines since `from` whose message matches re. */
const linesSince = (s: ServerProc, from: number, re: RegExp) => s.output.slice(from).filter((l) => re.test(l));

describe('a server on a three-member etcd', { timeout: 120_000 }, () => {
  let etcd: TestEtcdCluster;
  let s: ServerProc;
  let deadLeader = -1;

  before(async () => {
    etcd = await startEtcdCluster(3);
    s = await spawnServer(etcd.endpoints, [], [], { built: true });
  });
  after(async () => {
    await s?.stop();
    etcd?.stop();
  });

  it('takes every member, and one follower lost changes nothing: an apply succeeds within a second', async () => {
    assert.equal((await apply(s.url, 'q-a')).status, 200);
    // member 0 is the first endpoint the server was given: kill it when it is a follower (a server that
    // took only the first endpoint fails here), else the next test kills it as the leader
    etcd.kill(etcd.leader() === 0 ? 1 : 0);
    const t0 = Date.now();
    const r = await apply(s.url, 'q-b');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.ok(Date.now() - t0 < 1000, `apply with one follower dead took ${Date.now() - t0} ms`);
    etcd.start();
  });

  it("the raft leader lost: an apply succeeds once the others elect one (etcd's election, not an error)", async () => {
    deadLeader = etcd.leader();
    etcd.kill(deadLeader);
    const t0 = Date.now();
    const r = await apply(s.url, 'q-b2');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.ok(Date.now() - t0 < 5000, `apply with the raft leader dead took ${Date.now() - t0} ms`);
  });

  it('quorum lost: /readyz 503 at once naming etcd, writes 503 naming etcd, the server lives, one "paused" line', async () => {
    const from = s.output.length;
    etcd.kill([0, 1, 2].find((i) => i !== deadLeader)!);
    const ready = await call(s.url, 'GET', '/readyz', undefined, { timeoutMs: 5000 });
    assert.equal(ready.status, 503, JSON.stringify(ready.json));
    assert.ok(ready.ms < 1500, `/readyz answered in ${ready.ms} ms`);
    assert.match(ready.json.message, /^etcd: no answer within 1 s \(quorum lost or unreachable\)$/);
    assert.match(ready.json.etcd, /^unreachable: /);
    assert.equal((await call(s.url, 'GET', '/healthz')).status, 200);

    const w = await apply(s.url, 'q-c');
    assert.equal(w.status, 503, JSON.stringify(w.json));
    assert.match(w.json.message, /etcd/);

    // a window to see the loops, informers and election fail again and again: they must stay quiet
    await sleep(5000);
    assert.equal(s.child.exitCode, null, 'the server exited');
    assert.equal(s.child.signalCode, null, 'the server was killed');
    assert.equal(linesSince(s, from, /"etcd unavailable: loops paused"/).length, 1, s.output.slice(from).join('\n'));
    const warns = linesSince(s, from, /"level":"(warn|error)"/);
    assert.ok(warns.length <= 3, `a log storm while etcd is out:\n${warns.join('\n')}`);
  });

  it('quorum back: /readyz 200 and the loops resume by themselves', async () => {
    const from = s.output.length;
    etcd.start();
    const t0 = Date.now();
    await until('/readyz 200', async () => (await call(s.url, 'GET', '/readyz', undefined, { timeoutMs: 2000 })).status === 200, 10_000, 200);
    await until('an apply to succeed', async () => (await apply(s.url, 'q-c')).status === 200, 10_000, 200);
    await until(
      'the services loop to create the task of q-c',
      async () => {
        const r = await call(s.url, 'GET', '/api/v1/tasks?namespace=default', undefined, { timeoutMs: 2000 });
        return r.status === 200 && (r.json.items as AnyResource[]).some((t) => t.metadata.name.startsWith('q-c-'));
      },
      15_000,
      200,
    );
    assert.ok(Date.now() - t0 < 15_000);
    assert.equal(linesSince(s, from, /"etcd available again: loops resumed"/).length, 1, s.output.slice(from).join('\n'));
  });
});
