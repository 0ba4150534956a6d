/**
 * An agent on the servers' agent API (`stowage agent --server`, sim driver,
 * no etcd address at all) against a real `stowage server` and etcd: it
 * registers, heartbeats, runs what is bound to it and reports it, its log
 * endpoint answers the server only, and its node goes NotReady once it
 * stops (at once on SIGTERM, within the TTL on kill -9).
 *
 * The node authorizer on the same etcd, through an in-process API server
 * with tokens (`node:<name>` of role node, `admin`, `viewer`): a node is
 * refused another node's status, assignments and session, and the general
 * routes but for its own Node.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Node, Task } from '../../pkg/api/types.js';
import { Authenticator } from '../../pkg/auth/authenticate.js';
import type { Principal } from '../../pkg/auth/principal.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { agentSecretKey, heartbeatKey } from '../../pkg/store/keys.js';
import { registerNode } from '../../pkg/store/node-register.js';
import { ApiServer } from '../../pkg/server/http.js';
import { createAndBind, newTask, NODE, spawnAgent, TASK, waitForTask, type AgentProc } from '../helpers/agent.js';
import { startEtcdStore, type EtcdStore } from '../helpers/etcd-store.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

const N = 'api-n1';
const OTHER = 'api-other';
const TTL = 3;

/** Tokens of the in-process server: the token is the string, its principal beside it. */
const TOKENS: [string, Principal][] = [
  [`node:${N}`, { user: N, role: 'node' }],
  [`node:${OTHER}`, { user: OTHER, role: 'node' }],
  ['admin', { user: 'alice', role: 'admin' }],
  ['viewer', { user: 'carol', role: 'viewer' }],
];
const authn = new Authenticator(TOKENS.map(([t, principal]) => ({ principal, hash: createHash('sha256').update(t).digest() })));

describe('an agent on the agent API', () => {
  let db: EtcdStore;
  let server: ServerProc;
  let scoped: ApiServer;
  let scopedUrl: string;
  let agent: AgentProc | undefined;
  const args = () => ['--server', `http://127.0.0.1:1,${server.url}`, '--node', N, '--driver', 'sim', '--heartbeat-ttl', String(TTL), '--cpus', '4', '--mem', '4096', '--disk', '100', '--usage-interval', '1'];

  before(async () => {
    db = await startEtcdStore();
    server = await spawnServer(db.etcd.endpoint);
    scoped = new ApiServer({ store: db.store, log: nopLogger, ready: () => ({ isLeader: false }), authn });
    scopedUrl = `http://${await scoped.listen('127.0.0.1', 0)}`;
    // the first URL refuses connections: the agent moves on to the next
    agent = await spawnAgent(args());
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await scoped?.close();
    await server?.stop();
    db?.stop();
  });

  it('registers its Node Ready, with a heartbeat key on a lease and the log secret kept out of the API', async () => {
    const n = await until('the node Ready', async () => {
      const s = await db.store.get<Node>(NODE, undefined, N);
      return s?.object.status?.state === 'Ready' && s;
    });
    assert.equal(n.object.spec.driver, 'sim');
    assert.match(n.object.spec.address ?? '', /^127\.0\.0\.1:\d+$/);
    const hb = await db.client.get(heartbeatKey(N)).exec();
    assert.notEqual(String(hb.kvs[0]?.lease ?? '0'), '0', 'the heartbeat key is on a lease');
    const secret = await db.client.get(agentSecretKey(N)).string();
    assert.ok(secret && secret.length >= 32);
    const listed = await (await fetch(`${server.url}/api/v1/nodes/${N}`)).text();
    assert.ok(!listed.includes(secret!), 'the Node does not show the secret');
    assert.ok(agent!.output.some((l) => l.includes('"agent ready"') && l.includes(server.url)));
  });

  it('runs a task bound to it and reports its status through the server', async () => {
    await createAndBind(db.store, N, [newTask('api-t1', {}), newTask('api-short', { sim: { runSeconds: 0.3, exitCode: 3 } })]);
    const st = await waitForTask(db.store, 'api-t1', (s) => s.state === 'Running', 20_000);
    assert.equal(st.nodeName, N);
    assert.ok(st.containerId);
    const failed = await waitForTask(db.store, 'api-short', (s) => s.state === 'Failed', 20_000);
    assert.equal(failed.exitCode, 3);
  });

  it('writes usage through the server', async () => {
    await until('the node usage', async () => (await db.store.get<Node>(NODE, undefined, N))?.object.status?.usage?.tasks?.['default/api-t1'], 15_000);
  });

  it('serves logs to the server only: 401 without the secret, the task output through the API', async () => {
    const address = (await db.store.get<Node>(NODE, undefined, N))!.object.spec.address!;
    const direct = await fetch(`http://${address}/tasks/default/api-t1/log`);
    assert.equal(direct.status, 401);
    assert.equal(((await direct.json()) as { code: string }).code, 'Unauthorized');
    assert.equal((await fetch(`http://${address}/tasks/default/api-t1/log`, { headers: { authorization: 'Bearer guess' } })).status, 401);
    assert.equal((await fetch(`http://${address}/healthz`)).status, 200);
    const viaApi = await fetch(`${server.url}/api/v1/tasks/default/api-t1/log`);
    assert.equal(viaApi.status, 200);
    assert.match(await viaApi.text(), /hollow node api-n1/);
  });

  describe('the node authorizer', () => {
    let other: Task;
    let otherRev: string;
    const call = (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${scopedUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    before(async () => {
      // a heartbeat of its own, so the leader leaves the other node Ready and its task alone
      const lease = db.client.lease(60);
      await lease.put(heartbeatKey(OTHER)).value('{}').exec();
      await registerNode(db.store, { name: OTHER, capacity: { cpus: 2, mem: 1024, disk: 10 }, portRanges: [{ begin: 40000, end: 40010 }], attributes: {}, address: '127.0.0.1:1', version: 't', driver: 'sim' }, nopLogger);
      await createAndBind(db.store, OTHER, [newTask('api-other-t', {})]);
      const s = (await db.store.get<Task>(TASK, 'default', 'api-other-t'))!;
      other = s.object;
      otherRev = s.statusRev;
    });

    const write = (token: string, status: Record<string, unknown>) =>
      call(token, 'POST', '/api/v1/agent/statuses', { items: [{ uid: other.metadata.uid, namespace: 'default', name: 'api-other-t', status, revision: otherRev }] });

    it("refuses another node's task status (403 naming it) and writes nothing", async () => {
      const r = await write(`node:${N}`, { ...other.status, nodeName: N, state: 'Running' });
      assert.equal(r.status, 403);
      const body = (await r.json()) as { code: string; message: string };
      assert.equal(body.code, 'Forbidden');
      assert.equal(body.message, `node "${N}" may not write the status of task default/api-other-t: it is bound to node "${OTHER}"`);
      assert.equal((await db.store.get<Task>(TASK, 'default', 'api-other-t'))!.statusRev, otherRev);
    });

    it('lets the node the task is bound to write it, and not move it away', async () => {
      const moved = await write(`node:${OTHER}`, { ...other.status, nodeName: N, state: 'Starting' });
      assert.equal(moved.status, 403);
      assert.match(((await moved.json()) as { message: string }).message, /may not move task default\/api-other-t to node "api-n1"/);
      const ok = await write(`node:${OTHER}`, { ...other.status, state: 'Starting' });
      assert.equal(ok.status, 200);
      const { results } = (await ok.json()) as { results: { result: string; revision: string }[] };
      assert.equal(results[0]!.result, 'written');
      const after = (await db.store.get<Task>(TASK, 'default', 'api-other-t'))!;
      assert.equal(after.object.status?.state, 'Starting');
      assert.equal(after.statusRev, results[0]!.revision);
      // the same write again, on the old revision: the current status to rebase on
      const again = (await (await write(`node:${OTHER}`, { ...other.status, state: 'Running' })).json()) as { results: { result: string; status?: { state: string } }[] };
      assert.equal(again.results[0]!.result, 'conflict');
      assert.equal(again.results[0]!.status?.state, 'Starting');
    });

    it("refuses another node's assignments and a prefix; streams its own", async () => {
      const r = await call(`node:${N}`, 'GET', `/api/v1/agent/assignments?node=${OTHER}`);
      assert.equal(r.status, 403);
      assert.equal(((await r.json()) as { message: string }).message, `node "${N}" may not watch the assignments of node "${OTHER}"`);
      assert.equal((await call(`node:${N}`, 'GET', '/api/v1/agent/assignments?prefix=api-')).status, 403);
      const ac = new AbortController();
      const own = await fetch(`${scopedUrl}/api/v1/agent/assignments?node=${N}`, { headers: { authorization: `Bearer node:${N}` }, signal: ac.signal });
      assert.equal(own.status, 200);
      const reader = own.body!.getReader();
      let text = '';
      while (!/"last":true/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      ac.abort();
      assert.match(text, /^event: snapshot\n/);
      assert.match(text, /"name":"api-t1"/);
      assert.doesNotMatch(text, /api-other-t/);
    });

    it('resumes a stream from a revision: the changes after it, no snapshot', async () => {
      const read = async (query: string, until: RegExp) => {
        const ac = new AbortController();
        const res = await fetch(`${scopedUrl}/api/v1/agent/assignments?${query}`, { headers: { authorization: `Bearer node:${OTHER}` }, signal: ac.signal });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        let text = '';
        return {
          text: async () => {
            while (!until.test(text)) text += new TextDecoder().decode((await reader.read()).value);
            return text;
          },
          close: () => ac.abort(),
        };
      };
      const first = await read(`node=${OTHER}`, /"last":true/);
      const snap = await first.text();
      const revision = /"revision":"(\d+)"/.exec(snap)![1]!;
      const live = await read(`node=${OTHER}`, /api-resumed/);
      await createAndBind(db.store, OTHER, [newTask('api-resumed', {})]);
      assert.match(await live.text(), /event: changes\ndata: \{"revision":"\d+","changes":\[\{"type":"put","assignment":\{"node":"api-other","namespace":"default","name":"api-resumed"/);
      first.close();
      live.close();
      const resumed = await read(`node=${OTHER}&resourceVersion=${revision}`, /api-resumed/);
      const text = await resumed.text();
      resumed.close();
      assert.doesNotMatch(text, /event: snapshot/);
      assert.doesNotMatch(text, /api-other-t"/, 'what was assigned before the revision is not sent again');
    });

    it('refuses heartbeats, registration and usage of another node, and other roles', async () => {
      const s = await call(`node:${N}`, 'POST', '/api/v1/agent/sessions', { nodes: [OTHER], ttlSeconds: 5, startedAt: 'x', version: 't' });
      assert.equal(s.status, 403);
      const reg = await call(`node:${N}`, 'POST', `/api/v1/agent/nodes/${OTHER}/register`, {});
      assert.equal(reg.status, 403);
      const hb = (await db.client.get(heartbeatKey(N)).exec()).kvs[0]!;
      const keep = await call(`node:${OTHER}`, 'POST', `/api/v1/agent/sessions/${String(hb.lease)}/keepalive`);
      assert.equal(keep.status, 403, "another node's heartbeat session");
      assert.equal((await call('viewer', 'POST', '/api/v1/agent/statuses', { items: [] })).status, 400);
      const v = await call('viewer', 'GET', `/api/v1/agent/assignments?node=${N}`);
      assert.equal(v.status, 403);
    });

    it('keeps a node principal off the general routes, but for its own Node and its tasks\' secret env', async () => {
      assert.equal((await call(`node:${N}`, 'GET', `/api/v1/nodes/${N}`)).status, 200);
      const node = (await (await call(`node:${N}`, 'GET', `/api/v1/nodes/${OTHER}`)).json()) as Node;
      assert.equal((await call(`node:${N}`, 'PUT', `/api/v1/nodes/${OTHER}`, node)).status, 403);
      assert.equal((await call(`node:${N}`, 'GET', '/api/v1/tasks')).status, 403);
      assert.equal((await call(`node:${N}`, 'DELETE', `/api/v1/tasks/default/api-other-t`)).status, 403);
      const svc = { apiVersion: 'stowage/v1', kind: 'Service', metadata: { name: 'by-node', namespace: 'default' }, spec: { instances: 1, image: 'x', resources: { cpus: 0.1, mem: 16 } } };
      assert.equal((await call(`node:${N}`, 'POST', '/api/v1/services', svc)).status, 403);
      assert.equal((await call(`node:${N}`, 'GET', '/api/v1/tasks/default/api-other-t/secret-env')).status, 403);
      assert.equal((await call(`node:${N}`, 'GET', '/api/v1/tasks/default/api-t1/secret-env')).status, 200);
      assert.equal((await call('admin', 'GET', '/api/v1/tasks')).status, 200);
    });
  });

  it('SIGTERM ends the session: the heartbeat key goes at once', async () => {
    assert.equal(await agent!.stop('SIGTERM'), 0);
    const hb = await db.client.get(heartbeatKey(N)).exec();
    assert.equal(hb.kvs.length, 0, 'the lease was revoked on stop');
    await until('the node NotReady', async () => (await db.store.get<Node>(NODE, undefined, N))?.object.status?.state === 'NotReady', 10_000);
  });

  it(`kill -9: the node goes NotReady within the TTL (${TTL} s)`, async () => {
    agent = await spawnAgent(args());
    await until('the node Ready again', async () => (await db.store.get<Node>(NODE, undefined, N))?.object.status?.state === 'Ready', 15_000);
    // a hollow node's containers live in the agent's memory: what ran before is gone, a new task runs
    await createAndBind(db.store, N, [newTask('api-t2', {})]);
    await waitForTask(db.store, 'api-t2', (s) => s.state === 'Running', 15_000);
    await until('the heartbeat key', async () => (await db.client.get(heartbeatKey(N)).exec()).kvs.length === 1);
    const t0 = Date.now();
    await agent.stop('SIGKILL');
    await until('the heartbeat key to vanish', async () => (await db.client.get(heartbeatKey(N)).exec()).kvs.length === 0, (TTL + 4) * 1000, 100);
    const gone = Date.now() - t0;
    await until('the node NotReady', async () => (await db.store.get<Node>(NODE, undefined, N))?.object.status?.state === 'NotReady', 10_000);
    // the lease's TTL (renewed at most TTL/3 before the kill) plus etcd's expiry sweep
    assert.ok(gone <= (TTL + 2) * 1000, `the heartbeat key went ${gone} ms after kill -9`);
  });
});
