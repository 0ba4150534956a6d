/**
 * Node lifecycle, pure: from a node, whether its agent's heartbeat key is
 * present, the tasks bound to it and the time, decide its state and what
 * becomes of its tasks.
 *
 *   heartbeat ──► Ready; its Unreachable tasks get their state back
 *   no heartbeat ──► NotReady; its live tasks are Unreachable (not counted
 *                    running, healthy or ready by their service)
 *        └─(grace)──► its live tasks become Lost (the services loop replaces
 *                     them; their assignments are withdrawn, so a returning
 *                     agent kills the containers)
 *
 * Level-triggered: each pass asks for what is still missing (a task the
 * agent reported Running again while its node is NotReady is marked again).
 */
import { TERMINAL_STATES, type Node, type NodeStatus, type Task, type TaskStatus } from '../../api/types.js';

export interface NodeDecision {
  /** The node status to write, when it changes. */
  status?: NodeStatus;
  /** Tasks to mark Unreachable now. */
  unreachable: Task[];
  /** Unreachable tasks whose node is back: give them their state back. */
  reachable: Task[];
  /** Tasks to mark Lost now. */
  lose: Task[];
  /** Look again after this long (the grace period running out). */
  requeueAfterMs?: number;
}

/** Bound to `node` and not ended: a task the node's fate decides. */
export const liveOn = (t: Task, node: string): boolean =>
  t.status?.nodeName === node && t.status.state !== 'Pending' && !TERMINAL_STATES.has(t.status.state);

/** `tasks`: the tasks bound to this node (from its allocation). */
export function computeNode(node: Node, heartbeat: boolean, tasks: readonly Task[], now: number, graceMs: number): NodeDecision {
  const name = node.metadata.name;
  const cur = node.status ?? { state: 'NotReady' as const };
  const iso = new Date(now).toISOString();
  const live = tasks.filter((t) => liveOn(t, name));
  const none = { unreachable: [], reachable: [], lose: [] };
  if (heartbeat) {
    const reachable = live.filter((t) => t.status?.state === 'Unreachable');
    if (cur.state === 'Ready') return { ...none, reachable };
    return { ...none, status: { ...cur, state: 'Ready', lastTransitionTime: iso, reason: undefined }, reachable };
  }
  const unreachable = live.filter((t) => t.status?.state !== 'Unreachable');
  if (cur.state === 'Ready') {
    return {
      ...none,
      status: { ...cur, state: 'NotReady', lastTransitionTime: iso, reason: 'HeartbeatLost' },
      unreachable,
      requeueAfterMs: graceMs,
    };
  }
  const since = cur.lastTransitionTime ? Date.parse(cur.lastTransitionTime) : now;
  const left = since + graceMs - now;
  if (left > 0) return { ...none, unreachable, requeueAfterMs: live.length > 0 ? left : undefined };
  return { ...none, lose: live };
}

/** The status of a task whose node stopped heartbeating. */
export function unreachableStatus(t: Task, node: string, now: number): TaskStatus {
  const st = t.status ?? { state: 'Bound' as const };
  return {
    ...st,
    state: 'Unreachable',
    stateBeforeUnreachable: st.state,
    unreachableSince: new Date(now).toISOString(),
    message: `node ${node} stopped heartbeating`,
  };
}

/** The status of an Unreachable task whose node is back: the state it had. */
export function reachableStatus(t: Task): TaskStatus {
  const { stateBeforeUnreachable, unreachableSince: _since, ...st } = t.status ?? { state: 'Bound' as const };
  return { ...st, state: stateBeforeUnreachable ?? 'Running', message: undefined };
}

/** The status of a task lost with its node. */
export function lostStatus(t: Task, node: string, now: number): TaskStatus {
  const { stateBeforeUnreachable: _before, unreachableSince: _since, ...st } = t.status ?? { state: 'Lost' as const };
  return {
    ...st,
    state: 'Lost',
    reason: 'NodeLost',
    message: `node ${node} stopped heartbeating and did not come back within the grace period`,
    finishedAt: new Date(now).toISOString(),
  };
}
