/**
 * Backup and restore, the way README's procedure does it, against real etcd,
 * a real `stowage server` and a sim agent:
 *
 *   service A (1) ── stowctl admin backup ──► FILE
 *   then service B (1), A scaled to 2
 *   stop server, agent, etcd ── hack/backup.sh restore FILE DIR ── etcd on DIR
 *   server and the same agent (node n1) started against the restored etcd
 *     ──► B and its tasks are gone, A runs its backed-up single instance
 *
 * The sim driver keeps its "containers" in memory, so the restarted agent
 * has none: it cannot show removing B's containers (the Docker e2e does,
 * agent sync: no desired task -> stop and remove). What it shows is the
 * cluster's side: the restored state is the backup's, the agent reports A's
 * task that it no longer runs, and the services loop brings A back to its
 * backed-up count, with nothing of B left running anywhere.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { TERMINAL_STATES, type Service, type Task } from '../../pkg/api/types.js';
import { run } from '../../pkg/cli/program.js';
import { newEtcdClient } from '../../pkg/store/etcd.js';
import { Store } from '../../pkg/store/store.js';
import { spawnAgent, type AgentProc } from '../helpers/agent.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { restoreEtcd, type RestoredEtcd } from '../helpers/restore.js';
import { call } from '../helpers/http.js';
import { SERVICE, spawnServer, TASK, type ServerProc } from '../helpers/stowage.js';
import { until } from '../helpers/wait.js';

const svc = (name: string, instances: number) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { instances, image: 'sim', resources: { cpus: 0.1, mem: 16 }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } },
});

const owner = (t: Task) => t.metadata.labels?.['stowage/owner'];

describe('backup and restore', () => {
  let dir: string;
  let etcd: TestEtcd;
  let restored: RestoredEtcd | undefined;
  let client: Etcd3 | undefined;
  let server: ServerProc | undefined;
  let agent: AgentProc | undefined;
  const agentArgs = (endpoint: string) => ['--etcd', endpoint, '--node', 'n1', '--driver', 'sim', '--heartbeat-ttl', '2', '--cpus', '4', '--mem', '4096', '--disk', '100', '--usage-interval', '0'];

  /** Live (non-terminal) tasks per owner, and how many of them run. */
  const live = async (store: Store) => {
    const tasks = (await store.list<Task>(TASK, 'default')).items.map((i) => i.object).filter((t) => !TERMINAL_STATES.has(t.status?.state ?? 'Pending'));
    const by = (o: string) => tasks.filter((t) => owner(t) === o);
    return { a: by('service/a'), b: by('service/b'), running: (o: string) => by(o).filter((t) => t.status?.state === 'Running').length };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stowage-restore-'));
    etcd = await startEtcd();
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await server?.stop('SIGKILL');
    client?.close();
    etcd?.stop();
    restored?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cluster restored from a backup converges to the backed-up state', async () => {
    server = await spawnServer(etcd.endpoint, ['--node-lost-grace', '4']);
    agent = await spawnAgent(agentArgs(etcd.endpoint));
    client = newEtcdClient({ endpoints: etcd.endpoint });
    let store = new Store(client);

    // A with one instance, then the backup
    assert.equal((await call(server.url, 'POST', '/api/v1/services', svc('a', 1))).status, 201);
    await until('A running', async () => (await live(store)).running('service/a') === 1, 30_000);
    const before = (await live(store)).a.map((t) => t.metadata.uid);
    const file = join(dir, 'backup.db');
    let out = '';
    let err = '';
    const code = await run(['--server', server.url, 'admin', 'backup', file], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {} });
    assert.equal(code, 0, err);
    assert.match(out, /bytes, etcd revision \d+\n$/);

    // after the backup: B, and A scaled up
    assert.equal((await call(server.url, 'POST', '/api/v1/services', svc('b', 1))).status, 201);
    const a = (await call(server.url, 'GET', '/api/v1/services/default/a')).json as Service;
    a.spec.instances = 2;
    assert.equal((await call(server.url, 'PUT', '/api/v1/services/default/a', a)).status, 200);
    await until('A x2 and B running', async () => {
      const l = await live(store);
      return l.running('service/a') === 2 && l.running('service/b') === 1;
    }, 30_000);

    // the restore procedure: stop servers and agents, restore into a new data dir, start etcd there, start servers
    await server.stop();
    await agent.stop('SIGKILL');
    client.close();
    etcd.stop();
    restored = await restoreEtcd(file, join(dir, 'restored'));
    const endpoint = restored.endpoint;
    client = newEtcdClient({ endpoints: endpoint });
    store = new Store(client);

    // straight from the snapshot: A at one instance, its task as it was, no B
    const restoredA = (await store.get<Service>(SERVICE, 'default', 'a'))!.object;
    assert.equal(restoredA.spec.instances, 1);
    assert.equal(await store.get(SERVICE, 'default', 'b'), undefined);
    const l0 = await live(store);
    assert.deepEqual(l0.a.map((t) => t.metadata.uid), before);
    assert.deepEqual(l0.b, []);

    server = await spawnServer(endpoint, ['--node-lost-grace', '4']);
    agent = await spawnAgent(agentArgs(endpoint));
    // the restarted sim agent lost A's task with its memory: it reports it, the services loop replaces it
    // (the snapshot still says Running, so wait for the replacement, a task of another uid)
    await until('A back at its backed-up count, running a new task', async () => {
      const l = await live(store);
      return l.a.length === 1 && l.running('service/a') === 1 && !before.includes(l.a[0]!.metadata.uid) && l.b.length === 0;
    }, 45_000);
    const old = (await store.get<Task>(TASK, 'default', l0.a[0]!.metadata.name))?.object;
    assert.ok(!old || TERMINAL_STATES.has(old.status?.state ?? 'Pending'), `the lost task ends terminal: ${JSON.stringify(old?.status)}`);
    const svcs = (await call(server.url, 'GET', '/api/v1/services')).json.items as Service[];
    assert.deepEqual(svcs.map((s) => s.metadata.name), ['a']);
    const b = await call(server.url, 'GET', '/api/v1/services/default/b');
    assert.equal(b.status, 404);
  });
});
