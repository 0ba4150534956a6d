/**
 * Stop-after-disconnect is about an agent cut off from the servers, not
 * about etcd losing its quorum: with no quorum nothing can give the tasks
 * away. An agent on the API (a hollow node, heartbeat TTL 5 s) beside a
 * server with --node-lost-grace 3 on a three-member etcd: quorum lost for
 * well past TTL + grace stops none of its tasks; quorum back, they run on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource, Task } from '../../pkg/api/types.js';
import { spawnAgent, type AgentProc } from '../helpers/agent.js';
import { startEtcdCluster, type TestEtcdCluster } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { spawnServer, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

const TTL_S = 5;
const GRACE_S = 3;

describe('an agent on the API through a quorum loss', { timeout: 180_000 }, () => {
  let etcd: TestEtcdCluster;
  let s: ServerProc;
  let agent: AgentProc;
  const node = `quorum-${process.pid}`;
  const tasks = async () => {
    const r = await call(s.url, 'GET', '/api/v1/tasks?namespace=default', undefined, { timeoutMs: 3000 });
    return r.status === 200 ? (r.json.items as Task[]) : undefined;
  };

  before(async () => {
    etcd = await startEtcdCluster(3);
    s = await spawnServer(etcd.endpoints, ['--node-lost-grace', String(GRACE_S)]);
    agent = await spawnAgent(['--server', s.url, '--driver', 'sim', '--node', node, '--cpus', '4', '--mem', '4096', '--disk', '100', '--heartbeat-ttl', String(TTL_S)]);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await s?.stop();
    etcd?.stop();
  });

  it(`quorum lost for longer than TTL + grace: no task stopped; back, the same tasks run`, async () => {
    const svc: AnyResource = {
      apiVersion: 'stowage/v1',
      kind: 'Service',
      metadata: { name: 'q', namespace: 'default' },
      spec: { instances: 2, image: 'localhost/stowage-busybox:1', command: ['sleep', '1000'], resources: { cpus: 0.1, mem: 16 } },
    };
    assert.equal((await call(s.url, 'POST', '/api/v1/apply', { items: [svc] }, { timeoutMs: 30_000 })).status, 200);
    const running = await until('2 tasks Running', async () => {
      const ts = (await tasks())?.filter((t) => t.status?.state === 'Running');
      return ts?.length === 2 ? ts : undefined;
    }, 30_000, 200);
    const mark = agent.output.length;
    etcd.kill(0);
    etcd.kill(1);
    const t0 = Date.now();
    // the window in which a cut-off agent would have stopped them (TTL + grace, with room)
    await until('TTL + grace + 4 s without quorum', async () => Date.now() - t0 > (TTL_S + GRACE_S + 4) * 1000, 60_000, 500);
    const cut = agent.output.slice(mark).filter((l) => l.includes('cut off from the cluster'));
    etcd.start();
    assert.deepEqual(cut, [], 'the agent took the quorum loss for a disconnection');
    await until('the same 2 tasks Running after quorum returned', async () => {
      const ts = (await tasks())?.filter((t) => t.status?.state === 'Running');
      return ts?.length === 2 && ts.every((t) => running.some((r) => r.metadata.uid === t.metadata.uid));
    }, 30_000, 500);
  });
});
