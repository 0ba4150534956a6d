/**
 * GET /api/v1/sd/targets of a real `stowage server` on a real etcd: the
 * answer Prometheus' http_sd_configs reads to find every server (election
 * candidates) and every agent (Nodes' spec.address), kept current as
 * servers come and go and agents re-register elsewhere.
 *
 *   test candidate "box/1@0.0.0.0:7999" ─┐
 *   stowage server (a candidate too) ────┼─► etcd ◄── registerNode(n1, sim-1, sim-2, bare)
 *                                         │
 *   test ──GET /api/v1/sd/targets──► server
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { Etcd3 } from 'etcd3';
import { registerNode, type Registration } from '../../pkg/agent/register.js';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

const reg = (name: string, address: string): Registration => ({
  name,
  capacity: { cpus: 1, mem: 256, disk: 10 },
  portRanges: [{ begin: 31000, end: 31099 }],
  attributes: {},
  address,
  version: 'test',
  driver: 'sim',
});

describe('GET /api/v1/sd/targets (Prometheus http_sd) on a real server and etcd', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let store: Store;
  let server: ServerProc;
  let candidate: Election;
  let serverAddr: string;
  let serverIdentity: string;
  const get = (path: string) => call(server.url, 'GET', path);

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    store = new Store(client);
    // a server of another host listening on every interface: scraped at its hostname
    candidate = new Election(client, { ttl: 2, identity: 'box/1@0.0.0.0:7999' }, nopLogger);
    await candidate.start();
    server = await spawnServer(etcd.endpoint, [], [], { until: 'leader-known' });
    serverAddr = server.url.slice('http://'.length);
    serverIdentity = `${hostname()}/${server.child.pid}@${serverAddr}`;
    for (const [n, a] of [['n1', '127.0.0.1:9101'], ['sim-1', '127.0.0.1:9200'], ['sim-2', '127.0.0.1:9200'], ['bare', '']] as const) {
      await registerNode(store, reg(n, a), nopLogger);
    }
  });

  after(async () => {
    await server?.stop();
    await candidate?.stop();
    client?.close();
    etcd?.stop();
  });

  it('lists every server and every agent address, in the http_sd format', async () => {
    const r = await get('/api/v1/sd/targets');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'application/json');
    const servers = [
      { targets: [serverAddr], labels: { __meta_stowage_role: 'server', __meta_stowage_identity: serverIdentity } },
      { targets: ['box:7999'], labels: { __meta_stowage_role: 'server', __meta_stowage_identity: 'box/1@0.0.0.0:7999' } },
    ].sort((a, b) => a.targets[0]!.localeCompare(b.targets[0]!));
    const agents = [
      { targets: ['127.0.0.1:9101'], labels: { __meta_stowage_role: 'agent', __meta_stowage_node: 'n1', __meta_stowage_node_count: '1' } },
      { targets: ['127.0.0.1:9200'], labels: { __meta_stowage_role: 'agent', __meta_stowage_node_count: '2' } },
    ];
    assert.deepEqual(r.json, [...servers, ...agents]);
    assert.deepEqual((await get('/api/v1/sd/targets?role=server')).json, servers);
    assert.deepEqual((await get('/api/v1/sd/targets?role=agent')).json, agents);
  });

  it('a server that stops leaves the list (its election key goes with its lease)', async () => {
    await candidate.stop();
    await until('box:7999 gone from the targets', async () => {
      const r = await get('/api/v1/sd/targets?role=server');
      return r.status === 200 && JSON.stringify(r.json) === JSON.stringify([{ targets: [serverAddr], labels: { __meta_stowage_role: 'server', __meta_stowage_identity: serverIdentity } }]);
    });
  });

  it('an agent that registers again on another port is scraped there', async () => {
    await registerNode(store, reg('n1', '127.0.0.1:9111'), nopLogger);
    const r = await get('/api/v1/sd/targets?role=agent');
    assert.deepEqual(
      r.json.map((g: { targets: string[] }) => g.targets[0]),
      ['127.0.0.1:9111', '127.0.0.1:9200'],
    );
  });

  it('refuses a role it does not know, other methods and other paths under /api/v1/sd', async () => {
    const bad = await get('/api/v1/sd/targets?role=etcd');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, {
      code: 'BadRequest',
      message: 'role: "etcd" is not a role; use server or agent (or leave it out for both)',
      details: [{ field: 'role', rule: 'enum', message: 'server or agent' }],
    });
    const post = await call(server.url, 'POST', '/api/v1/sd/targets', {});
    assert.equal(post.status, 400);
    assert.equal(post.json.message, 'POST is not supported on /api/v1/sd/targets');
    for (const p of ['/api/v1/sd', '/api/v1/sd/targets/x', '/api/v1/sd/other']) {
      const r = await get(p);
      assert.equal(r.status, 404, p);
      assert.match(r.json.message, /service discovery is \/api\/v1\/sd\/targets$/, p);
    }
  });

  it('is counted under kind "sd", and its etcd read is timed by operation', async () => {
    const m = (await get('/metrics')).text;
    assert.match(m, /^stowage_api_requests_total\{verb="GET",kind="sd",code="200"\} [1-9]/m);
    assert.match(m, /^stowage_etcd_request_duration_seconds_count\{op="txn"\} [1-9]/m);
  });
});
