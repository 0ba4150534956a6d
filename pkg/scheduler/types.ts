/** What the scheduler is asked and what it answers. */
import type { Constraint, PortSpec, Resources } from '../api/types.js';

/** One task to place, as the scheduler needs it (see requestFromTask). */
export interface TaskRequest {
  /** "namespace/name", the key node status.tasks uses. */
  key: string;
  namespace: string;
  /** "service/hello": constraints count the tasks of the same owner in the same namespace. */
  owner?: string;
  resources: Resources;
  /** Named host ports; hostPort 0 or absent = any free port from the node's ranges. */
  ports?: PortSpec[];
  constraints?: Constraint[];
  placement?: 'binpack' | 'spread';
  /** Higher first within a namespace. */
  priority?: number;
  /** Milliseconds since the epoch: older first within a priority. */
  created?: number;
}

export interface PlaceOk {
  ok: true;
  node: string;
  /** port name -> host port. */
  ports: Record<string, number>;
  score: number;
}

export type FailureReason = 'Unschedulable' | 'InvalidRequest' | 'QuotaExceeded';

export interface Failure {
  reason: FailureReason;
  /** "0/5 nodes fit: 3 insufficient mem, 2 constraint hostname UNIQUE" */
  summary: string;
  /** reason -> number of nodes that failed first on it. */
  counts: Record<string, number>;
}

export interface PlaceFail {
  ok: false;
  failure: Failure;
}

export type PlaceResult = PlaceOk | PlaceFail;

export interface PlaceOptions {
  /**
   * Feasible nodes scored before picking. Default: every feasible node on
   * clusters of up to 64 schedulable nodes; on bigger ones 4 for binpack
   * (the grid already visits the tightest first) and log2(n) for spread.
   */
  limit?: number;
}
