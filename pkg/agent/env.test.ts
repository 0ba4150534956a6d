import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpec, taskEnv } from './env.js';
import type { Task } from '../api/types.js';

const task: Task = {
  apiVersion: 'stowage/v1',
  kind: 'Task',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1' },
  spec: {
    image: 'localhost/stowage-busybox:1',
    command: ['/bin/sh', '-c', 'exec httpd -f -p $PORT0'],
    env: { GREETING: 'hi', HOST: 'override' },
    resources: { cpus: 0.25, mem: 48, disk: 0 },
    ports: [{ name: 'http' }, { name: 'admin-ui' }],
  },
  status: { state: 'Bound', nodeName: 'n1', ports: { 'admin-ui': 31002, http: 31001 } },
};
const ctx = { nodeName: 'n1', host: '127.0.0.1', pidsLimit: 1024 };

describe('task env', () => {
  it('numbers ports in the order the spec declares them and names them', () => {
    const env = taskEnv(task, ctx);
    assert.equal(env.PORT0, '31001');
    assert.equal(env.PORT1, '31002');
    assert.equal(env.PORT, '31001');
    assert.equal(env.PORT_HTTP, '31001');
    assert.equal(env.PORT_ADMIN_UI, '31002');
    assert.equal(env.STOWAGE_TASK, 'web-1');
    assert.equal(env.STOWAGE_NAMESPACE, 'shop');
    assert.equal(env.STOWAGE_NODE, 'n1');
    assert.equal(env.GREETING, 'hi');
  });
  it("lets the task's own env win", () => {
    assert.equal(taskEnv(task, ctx).HOST, 'override');
    const { env: _e, ...spec } = task.spec;
    assert.equal(taskEnv({ ...task, spec }, ctx).HOST, '127.0.0.1');
  });
  it('takes a {secret, key} entry from the resolved secrets, and refuses to start without it', () => {
    const t = { ...task, spec: { ...task.spec, env: { PASSWORD: { secret: 'db', key: 'password' }, MODE: 'x' } } };
    const env = taskEnv(t, ctx, { PASSWORD: 'v' });
    assert.equal(env.PASSWORD, 'v');
    assert.equal(env.MODE, 'x');
    assert.throws(() => taskEnv(t, ctx), { message: 'env PASSWORD: secret "db" key "password" was not resolved' });
  });
  it('has no PORT variables for a task without ports', () => {
    const env = taskEnv({ ...task, spec: { ...task.spec, ports: [] }, status: { state: 'Bound' } }, ctx);
    assert.deepEqual(Object.keys(env).filter((k) => k.startsWith('PORT')), []);
  });
});

describe('containerSpec', () => {
  it('carries the limits and labels material', () => {
    const s = containerSpec(task, ctx);
    assert.equal(s.taskUid, 'u-1');
    assert.equal(s.taskRef, 'shop/web-1');
    assert.equal(s.cpus, 0.25);
    assert.equal(s.memMiB, 48);
    assert.equal(s.pidsLimit, 1024);
    assert.deepEqual(s.command, task.spec.command);
    assert.equal(s.args, undefined);
  });
  it('carries the ulimits of the agent and the security fields of the task', () => {
    const plain = containerSpec(task, { ...ctx, nofileLimit: 16384, nprocLimit: 4096 });
    assert.equal(plain.nofileLimit, 16384);
    assert.equal(plain.nprocLimit, 4096);
    for (const k of ['user', 'readOnlyRootFilesystem', 'capAdd', 'mounts'] as const) assert.equal(plain[k], undefined, k);
    const s = containerSpec(
      {
        ...task,
        spec: {
          ...task.spec,
          user: '1000:1000',
          readOnlyRootFilesystem: true,
          capabilities: { add: ['NET_ADMIN'] },
          volumes: [{ hostPath: '/srv/data', containerPath: '/data' }, { hostPath: '/srv/ro', containerPath: '/ro', readOnly: true }],
        },
      },
      ctx,
    );
    assert.equal(s.user, '1000:1000');
    assert.equal(s.readOnlyRootFilesystem, true);
    assert.deepEqual(s.capAdd, ['NET_ADMIN']);
    assert.deepEqual(s.mounts, [
      { hostPath: '/srv/data', containerPath: '/data', readOnly: false },
      { hostPath: '/srv/ro', containerPath: '/ro', readOnly: true },
    ]);
  });
});
