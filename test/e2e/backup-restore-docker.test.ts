/**
 * Backup and restore with Docker (test/integration/backup-restore.test.ts is
 * the same with a sim agent): a container whose task the restored state does
 * not have is stopped and removed by the agent, and the one whose task it
 * has is adopted, not replaced.
 *
 *   A (1) ── stowctl admin backup ──► FILE ── B (1), A scaled to 2 (3 containers)
 *   stop server, agent, etcd ── hack/backup.sh restore ── etcd on the new dir
 *   server and agent again ──► only A's first container runs, same ID, same task
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { TERMINAL_STATES, type Service, type Task } from '../../pkg/api/types.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { containersOf, spawnAgent, type AgentProc } from '../helpers/agent.js';
import { ensureDocker, IMAGE, removeNodeContainers, testNodeName } from '../helpers/docker.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { call } from '../helpers/http.js';
import { restoreEtcd, type RestoredEtcd } from '../helpers/restore.js';
import { spawnServer, stowctl, TASK, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

// exits at once on SIGTERM, so removals take no kill grace
const COMMAND = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];
const svc = (name: string, instances: number) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances, image: IMAGE, command: COMMAND, resources: { cpus: 0.1, mem: 16 }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } },
});

describe('backup and restore (Docker)', () => {
  const node = testNodeName('restore');
  let dir: string;
  let etcd: TestEtcd;
  let restored: RestoredEtcd | undefined;
  let client: Etcd3 | undefined;
  let server: ServerProc | undefined;
  let agent: AgentProc | undefined;
  const agentArgs = (endpoint: string) => ['--etcd', endpoint, '--node', node, '--heartbeat-ttl', '3', '--cpus', '2', '--mem', '1024', '--disk', '100', '--usage-interval', '0'];
  const live = async (store: Store, owner: string) =>
    (await store.list<Task>(TASK, 'default')).items.map((i) => i.object).filter((t) => t.metadata.labels?.['stowage/owner'] === owner && !TERMINAL_STATES.has(t.status?.state ?? 'Pending'));
  const running = async (store: Store, owner: string) => (await live(store, owner)).filter((t) => t.status?.state === 'Running');

  before(async () => {
    ensureDocker();
    dir = mkdtempSync(join(tmpdir(), 'stowage-restore-docker-'));
    etcd = await startEtcd();
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await server?.stop('SIGKILL');
    await removeNodeContainers(node);
    client?.close();
    etcd?.stop();
    restored?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("removes the containers of tasks created after the backup and adopts the backup's", async () => {
    server = await spawnServer(etcd.endpoint);
    agent = await spawnAgent(agentArgs(etcd.endpoint));
    client = newEtcdClient({ endpoints: etcd.endpoint });
    let store = new Store(client);
    assert.equal((await call(server.url, 'POST', '/api/v1/services', svc('a', 1))).status, 201);
    const [a1] = await until('A running', async () => {
      const r = await running(store, 'service/a');
      return r.length === 1 ? r : undefined;
    }, 60_000);
    const file = join(dir, 'backup.db');
    const b = await stowctl(server.url, ['admin', 'backup', file]);
    assert.equal(b.code, 0, b.err);

    assert.equal((await call(server.url, 'POST', '/api/v1/services', svc('b', 1))).status, 201);
    const a = (await call(server.url, 'GET', '/api/v1/services/default/a')).json as Service;
    a.spec.instances = 2;
    assert.equal((await call(server.url, 'PUT', '/api/v1/services/default/a', a)).status, 200);
    await until('3 containers', async () => (await running(store, 'service/a')).length === 2 && (await running(store, 'service/b')).length === 1 && (await containersOf(node)).length === 3, 60_000);

    await server.stop();
    await agent.stop('SIGKILL');
    client.close();
    etcd.stop();
    restored = await restoreEtcd(file, join(dir, 'restored'));
    client = newEtcdClient({ endpoints: restored.endpoint });
    store = new Store(client);
    server = await spawnServer(restored.endpoint);
    agent = await spawnAgent(agentArgs(restored.endpoint));

    await until("only the backup's container runs", async () => {
      const cs = await containersOf(node);
      return cs.length === 1 && cs[0] === a1!.status!.containerId;
    }, 60_000);
    const after = await live(store, 'service/a');
    assert.deepEqual(after.map((t) => [t.metadata.uid, t.status?.state, t.status?.containerId]), [[a1!.metadata.uid, 'Running', a1!.status!.containerId]], 'adopted, not replaced');
    assert.deepEqual(await live(store, 'service/b'), []);
    assert.equal((await call(server.url, 'GET', '/api/v1/services/default/b')).status, 404);
  });
});
