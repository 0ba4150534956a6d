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
 */
import type Docker from 'dockerode';
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

export function createOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const memory = Math.max(0, Math.round(spec.memMiB * MiB));
  const opts: Docker.ContainerCreateOptions = {
    name: containerName(spec),
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL_TASK]: spec.taskUid,
      [LABEL_NODE]: spec.nodeName,
      [LABEL_NAME]: spec.taskRef,
    },
    HostConfig: {
      NetworkMode: 'host',
      NanoCpus: Math.max(0, Math.round(spec.cpus * 1e9)),
      Memory: memory,
      ...(memory > 0 ? { MemorySwap: memory } : {}),
      ...(spec.pidsLimit > 0 ? { PidsLimit: spec.pidsLimit } : {}),
      RestartPolicy: { Name: 'no' },
    },
  };
  if (spec.command && spec.command.length > 0) {
    opts.Entrypoint = spec.command;
    opts.Cmd = spec.args ?? [];
  } else if (spec.args && spec.args.length > 0) {
    opts.Cmd = spec.args;
  }
  return opts;
}
