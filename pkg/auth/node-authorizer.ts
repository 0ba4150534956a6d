/**
 * The node authorizer (Kubernetes' node authorizer): what an agent's token
 * may do. A principal of role `node` is bound to one node, its `user`:
 *
 *   register, heartbeat, usage     its own node only
 *   watch assignments              its own node only (a prefix of many: admins)
 *   write a task's status          only a task bound to it, as stored at the revision
 *                                  the write compares against; and it may not move it
 *   write events                   of source agent/<its node> only
 *
 * On the general routes a node token is authorize()'s (authorize.ts): it
 * reads nodes, namespaces and endpoints and writes only its own Node.
 * An admin may do all of it (a process of hollow nodes runs with an admin
 * token); other roles none of the agent API. Pure: each function answers
 * the refusal's message (a 403 names what was refused), or undefined.
 */
import type { Principal } from './principal.js';

export type AgentAct =
  | { verb: 'register' | 'heartbeat' | 'report usage of'; nodes: readonly string[] }
  | { verb: 'watch'; nodes?: readonly string[]; prefix?: string }
  | { verb: 'write status'; task: string; boundTo: string | undefined; writes: string | undefined }
  | { verb: 'write event'; source: string };

export function refuseAgentAct(p: Principal, act: AgentAct): string | undefined {
  if (p.role === 'admin') return undefined;
  if (p.role !== 'node') return `role ${p.role} may not use the agent API (${describe(act)}): it is for agents, with a token of role node`;
  const me = p.user;
  switch (act.verb) {
    case 'register':
    case 'heartbeat':
    case 'report usage of': {
      const other = act.nodes.find((n) => n !== me);
      if (act.nodes.length === 0) return `node "${me}" named no node to ${act.verb}`;
      return other === undefined ? undefined : `node "${me}" may not ${act.verb} node "${other}"`;
    }
    case 'watch': {
      if (act.prefix !== undefined) return `node "${me}" may not watch the assignments of every node starting with "${act.prefix}"; ask for node=${me}`;
      const other = (act.nodes ?? []).find((n) => n !== me);
      if (!act.nodes?.length) return `node "${me}" named no node to watch`;
      return other === undefined ? undefined : `node "${me}" may not watch the assignments of node "${other}"`;
    }
    case 'write status':
      if (act.boundTo !== me) return `node "${me}" may not write the status of task ${act.task}: it is ${act.boundTo ? `bound to node "${act.boundTo}"` : 'bound to no node'}`;
      if (act.writes !== me) return `node "${me}" may not move task ${act.task} to ${act.writes ? `node "${act.writes}"` : 'no node'} (status.nodeName)`;
      return undefined;
    case 'write event':
      return act.source === `agent/${me}` ? undefined : `node "${me}" may not write events of source "${act.source}"; its events are of source "agent/${me}"`;
  }
}

function describe(act: AgentAct): string {
  switch (act.verb) {
    case 'watch':
      return act.prefix !== undefined ? `watch prefix "${act.prefix}"` : `watch ${act.nodes?.join(',') ?? ''}`;
    case 'write status':
      return `write status of task ${act.task}`;
    case 'write event':
      return `write event of source "${act.source}"`;
    default:
      return `${act.verb} ${act.nodes.join(',')}`;
  }
}
