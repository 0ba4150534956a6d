import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { containerName, createOptions, hostConfig } from './spec.js';
import type { ContainerSpec } from '../runtime.js';

/** What every container gets, whatever its task asks. */
const SAFE = {
  Privileged: false,
  CapDrop: ['ALL'],
  CapAdd: ['NET_BIND_SERVICE'],
  SecurityOpt: ['no-new-privileges:true'],
  IpcMode: 'private',
  ReadonlyRootfs: false,
  Devices: [],
  Mounts: [],
};

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  taskUid: '3f2a9c1e-5b7d-4e21-9c3a-1234567890ab',
  taskRef: 'default/hello-7x2k',
  nodeName: 'node-1',
  image: 'localhost/stowage-busybox:1',
  env: { PORT0: '31000', GREETING: 'hello world' },
  cpus: 0.25,
  memMiB: 32,
  pidsLimit: 128,
  nofileLimit: 16384,
  nprocLimit: 4096,
  ...over,
});

describe('createOptions', () => {
  it('maps resources, labels, env and host networking', () => {
    const o = createOptions(spec());
    assert.equal(o.name, 'stowage-default-hello-7x2k-3f2a9c1e');
    assert.equal(o.Image, 'localhost/stowage-busybox:1');
    assert.deepEqual(o.Env, ['PORT0=31000', 'GREETING=hello world']);
    assert.deepEqual(o.Labels, {
      'stowage.task': '3f2a9c1e-5b7d-4e21-9c3a-1234567890ab',
      'stowage.node': 'node-1',
      'stowage.name': 'default/hello-7x2k',
    });
    assert.deepEqual(o.HostConfig, {
      ...SAFE,
      NetworkMode: 'host',
      NanoCpus: 250_000_000,
      Memory: 32 * 1024 * 1024,
      MemorySwap: 32 * 1024 * 1024,
      PidsLimit: 128,
      RestartPolicy: { Name: 'no' },
      Ulimits: [
        { Name: 'nofile', Soft: 16384, Hard: 16384 },
        { Name: 'nproc', Soft: 4096, Hard: 4096 },
      ],
    });
    assert.equal(o.User, undefined);
  });

  it('leaves out limits that are zero (no limit)', () => {
    const o = createOptions(spec({ cpus: 0, memMiB: 0, pidsLimit: 0, nofileLimit: 0, nprocLimit: 0 }));
    assert.deepEqual(o.HostConfig, { ...SAFE, NetworkMode: 'host', NanoCpus: 0, Memory: 0, RestartPolicy: { Name: 'no' } });
  });

  // spec -> the security part of HostConfig: whatever a task asks, never privileged, all
  // capabilities dropped, no-new-privileges, no devices, private IPC, no host PID.
  const security: [string, Partial<ContainerSpec>, Partial<Docker.HostConfig>, string | undefined][] = [
    ['the default: restricted', {}, {}, undefined],
    ['user', { user: '1000:1000' }, {}, '1000:1000'],
    ['read-only root filesystem', { readOnlyRootFilesystem: true }, { ReadonlyRootfs: true }, undefined],
    ['added capabilities join the default ones, sorted, once', { capAdd: ['SYS_TIME', 'NET_ADMIN', 'NET_BIND_SERVICE'] }, { CapAdd: ['NET_ADMIN', 'NET_BIND_SERVICE', 'SYS_TIME'] }, undefined],
    [
      'volumes are bind mounts (never created on the host), read-only when asked',
      { mounts: [{ hostPath: '/srv/data', containerPath: '/data', readOnly: true }, { hostPath: '/srv/cache', containerPath: '/cache', readOnly: false }] },
      {
        Mounts: [
          { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true },
          { Type: 'bind', Source: '/srv/cache', Target: '/cache', ReadOnly: false },
        ],
      },
      undefined,
    ],
  ];
  for (const [name, over, want, user] of security) {
    it(`security: ${name}`, () => {
      const o = createOptions(spec(over));
      const h = o.HostConfig!;
      const got = Object.fromEntries(Object.keys(SAFE).map((k) => [k, h[k as keyof Docker.HostConfig]]));
      assert.deepEqual(got, { ...SAFE, ...want });
      assert.equal(o.User, user);
      // nothing that opens the host: no PID namespace sharing, no binds, no device rules, no unconfined profiles
      assert.equal(h.PidMode, undefined);
      assert.equal(h.Binds, undefined);
      assert.equal(h.DeviceCgroupRules, undefined);
      assert.equal(hostConfig(spec(over)).Privileged, false);
    });
  }

  it('rounds cpus to whole nanocpus', () => {
    assert.equal(createOptions(spec({ cpus: 1 / 3 })).HostConfig?.NanoCpus, 333_333_333);
  });

  // Kubernetes' convention: command is the entrypoint, args its arguments.
  const table: [string, Partial<ContainerSpec>, { Entrypoint?: string[]; Cmd?: string[] }][] = [
    ['command only: entrypoint, image Cmd cleared', { command: ['/bin/sh', '-c', 'echo hi'] }, { Entrypoint: ['/bin/sh', '-c', 'echo hi'], Cmd: [] }],
    ['command and args', { command: ['sleep'], args: ['10'] }, { Entrypoint: ['sleep'], Cmd: ['10'] }],
    ['args only: arguments to the image entrypoint', { args: ['-f'] }, { Cmd: ['-f'] }],
    ['neither: the image decides', {}, {}],
    ['empty command counts as none', { command: [], args: ['x'] }, { Cmd: ['x'] }],
  ];
  for (const [name, over, want] of table) {
    it(name, () => {
      const o = createOptions(spec(over));
      assert.deepEqual({ Entrypoint: o.Entrypoint, Cmd: o.Cmd }, { Entrypoint: want.Entrypoint, Cmd: want.Cmd });
    });
  }
});

describe('containerName', () => {
  it('keeps only characters Docker accepts', () => {
    assert.equal(containerName({ taskRef: 'team a/web+1', taskUid: 'ab-cd' }), 'stowage-team_a-web_1-abcd');
    assert.equal(containerName({ taskRef: 'default/x', taskUid: '' }), 'stowage-default-x-nouid');
  });
});
