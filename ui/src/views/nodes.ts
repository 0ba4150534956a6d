/** Nodes: state, cordon, and cpu / mem / disk / ports allocated against capacity. */
import type { Node, Task } from '../../../pkg/api/types.js';
import { Action, Actions } from '../actions.js';
import { objectPath, request, updateWithRetry } from '../api.js';
import { Badge, Bar, Empty } from '../components.js';
import { html } from '../html.js';
import { nodes, TERMINAL } from '../selectors.js';
import type { Store } from '../store.js';

export function portCapacity(n: Node): number {
  return (n.spec.portRanges ?? []).reduce((a, r) => a + (r.end - r.begin + 1), 0);
}

export function NodeBars({ node }: { node: Node }) {
  const cap = node.status?.capacity ?? node.spec.capacity;
  const al = node.status?.allocated;
  return html`<div class="bars">
    <${Bar} label="cpu" used=${al?.cpus ?? 0} total=${cap?.cpus ?? 0} />
    <${Bar} label="mem" used=${al?.mem ?? 0} total=${cap?.mem ?? 0} unit=" MiB" />
    <${Bar} label="disk" used=${al?.disk ?? 0} total=${cap?.disk ?? 0} unit=" MiB" />
    <${Bar} label="ports" used=${al?.ports ?? 0} total=${portCapacity(node)} />
  </div>`;
}

export function NodeState({ node }: { node: Node }) {
  const cordoned = node.status?.cordoned || node.spec.unschedulable;
  return html`<${Badge} value=${node.status?.state ?? 'Unknown'} />${cordoned ? html` <span class="badge warn">cordoned</span>` : null}`;
}

export function NodeCard({ node, store }: { node: Node; store?: Store }) {
  const tasks = Object.keys(node.status?.tasks ?? {}).length;
  return html`<article class="node" data-node=${node.metadata.name}>
    <header><strong>${node.metadata.name}</strong> <${NodeState} node=${node} /></header>
    <div class="muted small">${node.spec.driver ?? 'docker'} · ${node.spec.address ?? 'no address'} · ${tasks} tasks</div>
    <${NodeBars} node=${node} />
    ${store ? html`<${NodeActions} node=${node} store=${store} />` : null}
  </article>`;
}

export function NodesView({ store }: { store: Store }) {
  const list = nodes(store);
  return html`<h1>Nodes <span class="count">${list.length}</span></h1>
    <div class="nodes">${list.length ? list.map((n) => html`<${NodeCard} key=${n.metadata.name} node=${n} store=${store} />`) : html`<table><tbody><${Empty} cols=${1} text="No nodes have registered." /></tbody></table>`}</div>`;
}

const setCordon = (name: string, cordon: boolean) =>
  updateWithRetry<Node>('nodes', undefined, name, (n) => {
    if (!!n.spec.unschedulable === cordon) return undefined;
    n.spec.unschedulable = cordon;
    return n;
  });

/** As `stowctl drain`: cordon, then delete the node's live tasks a service owns (the services loop replaces them). */
async function drain(name: string): Promise<void> {
  await setCordon(name, true);
  const tasks = (await request<{ items: Task[] }>('GET', '/api/v1/tasks')).items;
  for (const t of evictable(tasks, name)) {
    try {
      await request('DELETE', objectPath('tasks', t.metadata.namespace ?? 'default', t.metadata.name));
    } catch (e) {
      if ((e as { code?: string }).code !== 'NotFound') throw e;
    }
  }
}

const evictable = (tasks: Task[], node: string) =>
  tasks.filter((t) => t.status?.nodeName === node && !TERMINAL.has(t.status?.state ?? 'Pending') && (t.spec.owner || t.metadata.labels?.['stowage/owner'] || '').startsWith('service/'));

function NodeActions({ node, store }: { node: Node; store: Store }) {
  const name = node.metadata.name;
  const n = evictable(store.list('tasks') as Task[], name).length;
  return html`<${Actions}>
    ${node.spec.unschedulable
      ? html`<${Action} id=${`uncordon-${name}`} label="Uncordon" title=${`Uncordon node ${name}?`} run=${() => setCordon(name, false)}><p>New tasks may be placed on it again.</p></${Action}>`
      : html`<${Action} id=${`cordon-${name}`} label="Cordon" title=${`Cordon node ${name}?`} run=${() => setCordon(name, true)}><p>No new tasks are placed on it; its tasks go on.</p></${Action}>`}
    <${Action} id=${`drain-${name}`} label="Drain" danger title=${`Drain node ${name}?`} run=${() => drain(name)}>
      <p>Cordons it, then deletes its ${n} live service task${n === 1 ? '' : 's'} so their services replace them elsewhere; job and bare tasks are left to finish (<code>stowctl drain</code>).</p>
    </${Action}>
  </${Actions}>`;
}
