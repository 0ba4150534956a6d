/**
 * Safe containers on a real Docker agent, seen with `docker inspect` and
 * `docker exec`:
 *   - a plain service's container: never privileged, CapDrop ALL with only
 *     NET_BIND_SERVICE, no-new-privileges, Docker's default seccomp profile,
 *     the agent's pids limit and ulimits, private IPC, no host PID, no
 *     devices, no mounts;
 *   - a service of a namespace allowing NET_ADMIN, with user 1000:1000 and a
 *     read-only root filesystem: the capability is added, `id -u` says 1000
 *     and a write to / fails;
 *   - defence in depth: a task asking for NET_ADMIN written straight into
 *     etcd (around the API) is bound and refused by the agent, Failed with
 *     reason Forbidden, no container started.
 *
 *   test ──HTTP──► stowage server ──► etcd ◄── stowage agent ──► dockerd
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Task } from '../../pkg/api/types.js';
import { call } from '../helpers/http.js';
import { dockerInspect, ensureDocker, testNodeName, DEFAULT_SOCKET } from '../helpers/docker.js';
import { TASK, startCluster, until, type Cluster } from '../helpers/stowage.js';

const service = (namespace: string, name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'stowage/v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: {
    image: 'localhost/stowage-busybox:1',
    command: ['/bin/sh', '-c', 'exec sleep 3600'],
    resources: { cpus: 0.05, mem: 16 },
    killGracePeriodSeconds: 1,
    ...extra,
  },
});

/** `docker exec` in the container: exit code and output. */
function exec(id: string, cmd: string[]): { code: number; out: string } {
  const r = spawnSync('docker', ['-H', `unix://${DEFAULT_SOCKET}`, 'exec', id, ...cmd], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('safe containers e2e: what Docker really runs', () => {
  let c: Cluster;
  const node = testNodeName('safe');
  const api = (method: string, path: string, body?: unknown) => call(c.server.url, method, path, body);
  /** The running container of a service's only task. */
  const containerOf = async (ns: string, name: string): Promise<string> => {
    const t = await until(`service ${ns}/${name} running`, async () => {
      const tasks = (await c.store.list<Task>(TASK, ns)).items.map((s) => s.object);
      return tasks.find((x) => x.metadata.labels?.['stowage/owner'] === `service/${name}` && x.status?.state === 'Running' && x.status.containerId);
    }, 60_000, 100);
    return t.status!.containerId!;
  };

  before(async () => {
    ensureDocker();
    c = await startCluster({ nodes: [node] });
    for (const ns of [
      { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'ops' }, spec: { allowCapabilities: ['NET_ADMIN'] } },
      { apiVersion: 'stowage/v1', kind: 'Namespace', metadata: { name: 'tenant' }, spec: {} },
    ]) {
      const r = await api('POST', '/api/v1/namespaces', ns);
      assert.equal(r.status, 201, r.text);
    }
    for (const s of [service('tenant', 'plain'), service('ops', 'hardened', { user: '1000:1000', readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'] } })]) {
      const r = await api('POST', '/api/v1/services', s);
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await c?.stop();
  });

  it('a plain service: restricted by default', async () => {
    const id = await containerOf('tenant', 'plain');
    const info = await dockerInspect(id);
    const h = info.HostConfig;
    assert.equal(h.Privileged, false);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual(h.CapAdd, ['NET_BIND_SERVICE']);
    assert.ok(h.SecurityOpt?.includes('no-new-privileges:true'), String(h.SecurityOpt));
    assert.equal(h.PidsLimit, 1024);
    assert.deepEqual(
      (h.Ulimits ?? []).map((u) => [u.Name, u.Soft, u.Hard]),
      [['nofile', 16384, 16384], ['nproc', 4096, 4096]],
    );
    assert.equal(h.IpcMode, 'private');
    assert.equal(h.PidMode, '');
    assert.equal(h.NetworkMode, 'host', 'host networking stays (tasks take host ports)');
    assert.deepEqual(h.Devices ?? [], []);
    assert.deepEqual(h.Binds ?? [], []);
    assert.deepEqual(info.Mounts, []);
    assert.equal(h.ReadonlyRootfs, false);
    // what the process really holds: NET_BIND_SERVICE (bit 10) only, and no way to gain more
    const status = exec(id, ['cat', '/proc/1/status']).out;
    assert.match(status, /^CapEff:\s+0000000000000400$/m);
    assert.match(status, /^CapBnd:\s+0000000000000400$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^Seccomp:\s+2$/m, "Docker's default seccomp profile stays (filter mode)");
  });

  it('user, readOnlyRootFilesystem and a capability its namespace allows take effect', async () => {
    const id = await containerOf('ops', 'hardened');
    const h = (await dockerInspect(id)).HostConfig;
    assert.deepEqual(h.CapAdd, ['NET_ADMIN', 'NET_BIND_SERVICE']);
    assert.equal(h.ReadonlyRootfs, true);
    assert.equal(exec(id, ['id', '-u']).out.trim(), '1000');
    const write = exec(id, ['touch', '/probe']);
    assert.notEqual(write.code, 0);
    assert.match(write.out, /Read-only file system/);
  });

  it('the agent refuses a task asking for what its namespace did not allow, even written around the API', async () => {
    const name = 'sneaky';
    await c.store.create(TASK, {
      apiVersion: 'stowage/v1',
      kind: 'Task',
      metadata: { name, namespace: 'tenant', uid: randomUUID() },
      spec: { image: 'localhost/stowage-busybox:1', command: ['/bin/sh', '-c', 'exec sleep 3600'], resources: { cpus: 0.05, mem: 16, disk: 0 }, capabilities: { add: ['NET_ADMIN'] } },
      status: { state: 'Pending' },
    } as Task);
    const t = await until('the task failed', async () => {
      const s = await c.store.get<Task>(TASK, 'tenant', name);
      return s && ['Failed', 'Running'].includes(s.object.status?.state ?? '') && s.object;
    }, 30_000, 100);
    assert.equal(t.status?.state, 'Failed', JSON.stringify(t.status));
    assert.equal(t.status?.reason, 'Forbidden');
    assert.equal(t.status?.message, 'the task asks for capabilities NET_ADMIN that its namespace did not allow when it was bound');
    assert.deepEqual(t.status?.allowed, { capabilities: [], hostPaths: [] }, 'the binding stamped what the namespace allowed');
    assert.equal(t.status?.containerId, undefined, 'no container was started');
  });
});
