/**
 * Docker's container inspect -> ContainerInfo. Pure.
 */
import type Docker from 'dockerode';
import type { ContainerInfo, ContainerPhase } from '../runtime.js';
import { KILLED_SUFFIX, LABEL_NAME, LABEL_NODE, LABEL_TASK } from './spec.js';

/** Docker's "never": the zero time.Time. */
const ZERO_TIME = /^0001-01-01/;

export function phaseOf(status: string): ContainerPhase {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    default: // exited, dead, removing
      return 'exited';
  }
}

const time = (t: string | undefined): string | undefined => (t && !ZERO_TIME.test(t) ? t : undefined);

/** True if the container carries this node's label (a runtime touches nothing else). */
export function isOurs(labels: Record<string, string> | undefined, nodeName: string): boolean {
  return labels?.[LABEL_NODE] === nodeName;
}

/** The fields of inspect that ContainerInfo needs (a subset, so tests can write them by hand). */
export interface InspectLike {
  Id: string;
  Name: string;
  Config: { Labels?: Record<string, string> | null };
  State: { Status: string; ExitCode: number; OOMKilled: boolean; Error?: string; StartedAt?: string; FinishedAt?: string };
}

/** `stoppedHere` = this process asked to stop it (the in-memory mark). */
export function toContainerInfo(c: InspectLike | Docker.ContainerInspectInfo, stoppedHere: boolean): ContainerInfo {
  const labels = c.Config.Labels ?? {};
  const phase = phaseOf(c.State.Status);
  const info: ContainerInfo = {
    id: c.Id,
    taskUid: labels[LABEL_TASK] ?? '',
    taskRef: labels[LABEL_NAME] ?? '',
    phase,
  };
  const startedAt = time(c.State.StartedAt);
  if (startedAt) info.startedAt = startedAt;
  if (phase === 'exited') {
    info.exitCode = c.State.ExitCode;
    info.oomKilled = c.State.OOMKilled;
    const finishedAt = time(c.State.FinishedAt);
    if (finishedAt) info.finishedAt = finishedAt;
  }
  if (stoppedHere || c.Name.endsWith(KILLED_SUFFIX)) info.killed = true;
  if (c.State.Error) info.error = c.State.Error;
  return info;
}
