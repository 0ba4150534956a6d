/**
 * GET /api/v1/servers on real `stowage server`s and a real etcd: every
 * server that campaigns is listed, the leader first and the standbys in the
 * order they would take over; when the leader dies the next in line leads
 * and the dead one leaves the list with its lease.
 *
 *   server A (leads) ─┐
 *   server B ─────────┼─► etcd /stowage/leader/<lease>
 *   candidate C ──────┘
 *   test ──GET /api/v1/servers──► B
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { Etcd3 } from 'etcd3';
import { Election } from '../../pkg/election/election.js';
import { nopLogger } from '../../pkg/log/logger.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

interface Entry {
  identity: string;
  address: string | null;
  leader: boolean;
  self: boolean;
}

describe('GET /api/v1/servers on real servers and etcd', () => {
  let etcd: TestEtcd;
  let client: Etcd3;
  let a: ServerProc;
  let b: ServerProc;
  let candidate: Election;
  const id = (s: ServerProc) => `${hostname()}/${s.child.pid}@${s.url.slice('http://'.length)}`;
  const list = async (s: ServerProc) => {
    const r = await call(s.url, 'GET', '/api/v1/servers');
    assert.equal(r.status, 200, r.text);
    return r.json as { items: Entry[]; leader: string | null; revision: string };
  };

  before(async () => {
    etcd = await startEtcd();
    client = newEtcdClient({ endpoints: etcd.endpoint });
    a = await spawnServer(etcd.endpoint);
    b = await spawnServer(etcd.endpoint, [], [], { until: 'leader-known' });
    candidate = new Election(client, { ttl: 2, identity: 'box/7@0.0.0.0:7999' }, nopLogger);
    await candidate.start();
  });
  after(async () => {
    await candidate?.stop();
    await a?.stop('SIGKILL');
    await b?.stop();
    client?.close();
    etcd?.stop();
  });

  it('the leader first, then the standbys in campaign order; self marks the server that answered', async () => {
    const r = await until('three servers listed', async () => ((await list(b)).items.length === 3 ? list(b) : undefined));
    assert.deepEqual(
      r.items.map(({ identity, address, leader, self }) => ({ identity, address, leader, self })),
      [
        { identity: id(a), address: a.url.slice('http://'.length), leader: true, self: false },
        { identity: id(b), address: b.url.slice('http://'.length), leader: false, self: true },
        { identity: 'box/7@0.0.0.0:7999', address: 'box:7999', leader: false, self: false },
      ],
    );
    assert.equal(r.leader, id(a));
    assert.match(r.revision, /^\d+$/);
    // the same leader /readyz names
    assert.equal((await call(b.url, 'GET', '/readyz')).json.leader, id(a));
  });

  it('the leader dies: the next in line leads, and the dead one leaves with its lease', async () => {
    await a.stop('SIGKILL');
    const r = await until('B leads and A is gone', async () => {
      const l = await list(b);
      return l.items.length === 2 && l.leader === id(b) ? l : undefined;
    }, 20_000);
    assert.deepEqual(r.items.map((i) => [i.identity, i.leader, i.self]), [[id(b), true, true], ['box/7@0.0.0.0:7999', false, false]]);
  });

  it('refuses other methods and paths below it, and is counted under kind "servers"', async () => {
    const post = await call(b.url, 'POST', '/api/v1/servers', {});
    assert.equal(post.status, 400);
    assert.equal(post.json.message, 'POST is not supported on /api/v1/servers');
    const deep = await call(b.url, 'GET', '/api/v1/servers/x');
    assert.equal(deep.status, 404);
    assert.equal(deep.json.message, 'no route /api/v1/servers/x; the servers are listed at /api/v1/servers');
    const m = (await call(b.url, 'GET', '/metrics')).text;
    assert.match(m, /^stowage_api_requests_total\{verb="GET",kind="servers",code="200"\} [1-9]/m);
  });
});
