/**
 * A bound Task -> the ContainerSpec a runtime starts. Pure.
 *
 *   task.spec (image, command, args, env, resources, sim)
 *   task.status.ports {http: 31002, admin: 31003}
 *        │
 *        ▼
 *   env: PORT0..n, PORT, PORT_<NAME>, HOST, STOWAGE_TASK, STOWAGE_NAMESPACE,
 *        STOWAGE_NODE, then spec.env (the user's word wins); a {secret, key}
 *        entry takes its value from `secrets` (SecretEnv.resolve, done before)
 *   limits: cpus -> NanoCpus, mem -> hard Memory, pids limit, nofile and nproc
 *   security: user, readOnlyRootFilesystem, capabilities.add, volumes (the runtime
 *   adds the safe default; startRefusal has checked them against status.allowed)
 */
import { isSecretRef } from '../api/secrets.js';
import type { Task } from '../api/types.js';
import type { ContainerSpec } from './runtime/runtime.js';

export interface SpecContext {
  nodeName: string;
  /** Host part of the agent's advertised address: the task's HOST. */
  host: string;
  pidsLimit: number;
  /** The agent's --nofile-limit and --nproc-limit (0 or absent: the engine's default). */
  nofileLimit?: number;
  nprocLimit?: number;
}

/** Ports in the order of spec.ports (PORT0 is the first declared port). */
export function orderedPorts(task: Task): { name: string; port: number }[] {
  const bound = task.status?.ports ?? {};
  const declared = task.spec.ports ?? [];
  const out: { name: string; port: number }[] = [];
  for (const p of declared) {
    const port = bound[p.name] ?? (p.hostPort || undefined);
    if (port !== undefined) out.push({ name: p.name, port });
  }
  // Ports the binder gave that the spec does not declare (should not happen): after, by name.
  for (const name of Object.keys(bound).sort()) {
    if (!declared.some((p) => p.name === name)) out.push({ name, port: bound[name]! });
  }
  return out;
}

export const portEnvName = (name: string): string => `PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;

/** `secrets`: the resolved values of the task's secret references, by env name. */
export function taskEnv(task: Task, ctx: SpecContext, secrets: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  orderedPorts(task).forEach((p, i) => {
    env[`PORT${i}`] = String(p.port);
    env[portEnvName(p.name)] = String(p.port);
    if (i === 0) env.PORT = String(p.port);
  });
  env.HOST = ctx.host;
  env.STOWAGE_TASK = task.metadata.name;
  env.STOWAGE_NAMESPACE = task.metadata.namespace ?? 'default';
  env.STOWAGE_NODE = ctx.nodeName;
  for (const [name, v] of Object.entries(task.spec.env ?? {})) {
    if (!isSecretRef(v)) env[name] = v;
    else if (Object.hasOwn(secrets, name)) env[name] = secrets[name]!;
    else throw new Error(`env ${name}: secret "${v.secret}" key "${v.key}" was not resolved`);
  }
  return env;
}

export function containerSpec(task: Task, ctx: SpecContext, secrets: Readonly<Record<string, string>> = {}): ContainerSpec {
  const s = task.spec;
  return {
    taskUid: task.metadata.uid ?? '',
    taskRef: `${task.metadata.namespace ?? 'default'}/${task.metadata.name}`,
    nodeName: ctx.nodeName,
    image: s.image,
    ...(s.command ? { command: s.command } : {}),
    ...(s.args ? { args: s.args } : {}),
    env: taskEnv(task, ctx, secrets),
    cpus: s.resources.cpus,
    memMiB: s.resources.mem,
    pidsLimit: ctx.pidsLimit,
    ...(ctx.nofileLimit ? { nofileLimit: ctx.nofileLimit } : {}),
    ...(ctx.nprocLimit ? { nprocLimit: ctx.nprocLimit } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
    ...(s.capabilities?.add?.length ? { capAdd: [...s.capabilities.add] } : {}),
    ...(s.volumes?.length ? { mounts: s.volumes.map((v) => ({ hostPath: v.hostPath, containerPath: v.containerPath, readOnly: v.readOnly === true })) } : {}),
    ...(s.sim ? { sim: s.sim } : {}),
  };
}
