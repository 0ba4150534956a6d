/**
 * ContainerSpec -> the body of Docker's POST /containers/create. Pure.
 *
 * Command mapping (Kubernetes' convention):
 *   spec.command -> Entrypoint   (replaces the image's entrypoint AND its Cmd)
 *   spec.args    -> Cmd          (arguments to the entrypoint)
 *   neither      -> the image's own Entrypoint/Cmd
 * So Marathon's `cmd: "x"` is written `command: ["/bin/sh", "-c", "x"]`.
 *
 * Limits: cpus -> NanoCpus (CFS quota), mem -> Memory with MemorySwap equal to
 * it (a hard limit, no swap on top: Marathon's mem), pidsLimit -> PidsLimit.
 * A zero means "no limit" for each, as it does for Docker.
 *
 * Safe by default (Kubernetes' `restricted` profile), whatever the task says:
 *   Privileged false, CapDrop ALL, CapAdd DEFAULT_CAPABILITIES + capAdd,
 *   SecurityOpt no-new-privileges (Docker's default seccomp and AppArmor stay),
 *   ulimits nofile and nproc, IpcMode private, no PID namespace sharing,
 *   no devices, and no mounts but the task's volumes (checked against its
 *   namespace before this). Host networking stays: tasks take host ports.
 */
import type Docker from 'dockerode';
import { DEFAULT_CAPABILITIES } from '../../../api/security.js';
import type { ContainerSpec } from '../runtime.js';

export const LABEL_TASK = 'stowage.task';
export const LABEL_NODE = 'stowage.node';
export const LABEL_NAME = 'stowage.name';

/** Appended to a container's name when the runtime stops it: the durable "killed" mark. */
export const KILLED_SUFFIX = '.killed';

const MiB = 1024 * 1024;

/** stowage-<namespace>-<name>-<first 8 of the uid>; only characters Docker accepts in names. */
export function containerName(spec: Pick<ContainerSpec, 'taskRef' | 'taskUid'>): string {
  const ref = spec.taskRef.replace(/\//g, '-').replace(/[^a-zA-Z0-9_.-]/g, '_');
  const uid = spec.taskUid.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8) || 'nouid';
  return `stowage-${ref}-${uid}`;
}

/** The HostConfig of a task's container: its limits and the safe default (see the header). */
export function hostConfig(spec: ContainerSpec): Docker.HostConfig {
  const memory = Math.max(0, Math.round(spec.memMiB * MiB));
  const ulimits = [
    ...(spec.nofileLimit ? [{ Name: 'nofile', Soft: spec.nofileLimit, Hard: spec.nofileLimit }] : []),
    ...(spec.nprocLimit ? [{ Name: 'nproc', Soft: spec.nprocLimit, Hard: spec.nprocLimit }] : []),
  ];
  return {
    NetworkMode: 'host',
    NanoCpus: Math.max(0, Math.round(spec.cpus * 1e9)),
    Memory: memory,
    ...(memory > 0 ? { MemorySwap: memory } : {}),
    ...(spec.pidsLimit > 0 ? { PidsLimit: spec.pidsLimit } : {}),
    RestartPolicy: { Name: 'no' },
    Privileged: false,
    CapDrop: ['ALL'],
    CapAdd: [...new Set([...DEFAULT_CAPABILITIES, ...(spec.capAdd ?? [])])].sort(),
    SecurityOpt: ['no-new-privileges:true'],
    ...(ulimits.length > 0 ? { Ulimits: ulimits } : {}),
    IpcMode: 'private',
    ReadonlyRootfs: spec.readOnlyRootFilesystem === true,
    Devices: [],
    // Mounts, not Binds: a missing host path is an error, never created on the host
    Mounts: (spec.mounts ?? []).map((m) => ({ Type: 'bind' as const, Source: m.hostPath, Target: m.containerPath, ReadOnly: m.readOnly })),
  };
}

export function createOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const opts: Docker.ContainerCreateOptions = {
    name: containerName(spec),
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL_TASK]: spec.taskUid,
      [LABEL_NODE]: spec.nodeName,
      [LABEL_NAME]: spec.taskRef,
    },
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    HostConfig: hostConfig(spec),
  };
  if (spec.command && spec.command.length > 0) {
    opts.Entrypoint = spec.command;
    opts.Cmd = spec.args ?? [];
  } else if (spec.args && spec.args.length > 0) {
    opts.Cmd = spec.args;
  }
  return opts;
}
