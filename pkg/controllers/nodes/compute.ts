/**
 * Node lifecycle, pure: from a node, whether its agent's heartbeat key is
 * present, the tasks bound to it and the time, decide its state and which
 * tasks are lost.
 *
 *   heartbeat ──► Ready
 *   no heartbeat ──► NotReady ──(grace)──► its live tasks become Lost
 *                                           (the services loop replaces them;
 *                                            their assignments are withdrawn, so
 *                                            a returning agent kills the containers)
 */
import { TERMINAL_STATES, type Node, type NodeStatus, type Task } from '../../api/types.js';

export interface NodeDecision {
  /** The node status to write, when it changes. */
  status?: NodeStatus;
  /** Tasks to mark Lost now. */
  lose: Task[];
  /** Look again after this long (the grace period running out). */
  requeueAfterMs?: number;
}

/** `tasks` is called only when the grace is over (it may be costly: every task of the cluster). */
export function computeNode(node: Node, heartbeat: boolean, tasks: () => readonly Task[], now: number, graceMs: number): NodeDecision {
  const cur = node.status ?? { state: 'NotReady' as const };
  const iso = new Date(now).toISOString();
  if (heartbeat) {
    if (cur.state === 'Ready') return { lose: [] };
    return { status: { ...cur, state: 'Ready', lastTransitionTime: iso, reason: undefined }, lose: [] };
  }
  if (cur.state === 'Ready') {
    return {
      status: { ...cur, state: 'NotReady', lastTransitionTime: iso, reason: 'HeartbeatLost' },
      lose: [],
      requeueAfterMs: graceMs,
    };
  }
  const since = cur.lastTransitionTime ? Date.parse(cur.lastTransitionTime) : now;
  const left = since + graceMs - now;
  const onNode = Object.keys(node.status?.tasks ?? {}).length > 0;
  if (left > 0) return { lose: [], requeueAfterMs: onNode ? left : undefined };
  return { lose: tasks().filter((t) => t.status?.nodeName === node.metadata.name && !TERMINAL_STATES.has(t.status.state)) };
}

/** The status of a task lost with its node. */
export function lostStatus(t: Task, node: string, now: number): Task['status'] {
  return {
    ...(t.status ?? { state: 'Lost' }),
    state: 'Lost',
    reason: 'NodeLost',
    message: `node ${node} stopped heartbeating and did not come back within the grace period`,
    finishedAt: new Date(now).toISOString(),
  };
}
