/**
 * Nodes: state, cordon, and cpu / mem / disk / ports allocated and used against capacity,
 * one row each, sortable (busiest first) and filterable; only the rows in view are drawn.
 */
import { useMemo, useState } from 'preact/hooks';
import type { Node, Task } from '../../../pkg/api/types.js';
import { Action, Actions } from '../actions.js';
import { objectPath, request, updateWithRetry } from '../api.js';
import { RESOURCES } from '../capacity.js';
import { Badge } from '../components.js';
import { html } from '../html.js';
import { NODE_ORDERS, nodeSummary, nodesBy, tasksOnNode, TERMINAL, type NodeOrder, type NodeRow } from '../selectors.js';
import type { Store } from '../store.js';
import { MiniBar } from '../usage-bar.js';
import { VirtualList, type RowProps } from '../virtual.js';

export { portCapacity } from '../capacity.js';

export function NodeState({ node }: { node: Node }) {
  const cordoned = node.status?.cordoned || node.spec.unschedulable;
  return html`<${Badge} value=${node.status?.state ?? 'Unknown'} />${cordoned ? html` <span class="badge warn">cordoned</span>` : null}`;
}

/** The head of a list of node rows (the same grid as the rows). */
export const NodeHead = ({ actions = false }: { actions?: boolean }) =>
  html`<div class=${`nrow nhead${actions ? ' full' : ''}`}>
    <span>node</span><span>state</span>${RESOURCES.map((r) => html`<span>${r}</span>`)}<span class="num">tasks</span>${actions ? html`<span></span>` : null}
  </div>`;

/** One node: name, state, a small bar per resource, its tasks; with `store`, its details and actions too. */
export function NodeLine(r: NodeRow, props: RowProps, store?: Store) {
  const n = r.node;
  return html`<div ...${props} role="listitem" class=${`nrow${store ? ' full' : ''}`} data-node=${r.name}>
    <span class="nrow-name"><b class="mono">${r.name}</b>${store ? html`<span class="muted small"> ${n.spec.driver ?? 'docker'} · ${n.spec.address ?? 'no address'}</span>` : null}</span>
    <span class="nrow-state"><${NodeState} node=${n} /></span>
    ${RESOURCES.map((res) => html`<${MiniBar} r=${res} f=${r.f[res]} />`)}
    <span class="nrow-tasks num" title="tasks holding resources on it">${r.tasks}<span class="unit"> tasks</span></span>
    ${store ? html`<span class="nrow-actions"><${NodeActions} node=${n} store=${store} /></span>` : null}
  </div>`;
}

const rowKey = (r: NodeRow) => r.name;

/** The sort and filter of a list of nodes, and the list. */
export function NodeList({ store, actions, maxHeight, initial = 'busiest' }: { store: Store; actions: boolean; maxHeight: string; initial?: NodeOrder }) {
  const [order, setOrder] = useState<NodeOrder>(initial);
  const [text, setText] = useState('');
  const q = text.trim().toLowerCase();
  const sorted = nodesBy(store, order);
  const rows = useMemo(() => (q ? sorted.filter((r) => `${r.name} ${r.state} ${r.cordoned ? 'cordoned' : ''} ${r.node.spec.address ?? ''}`.toLowerCase().includes(q)) : sorted), [sorted, q]);
  return html`<div class="filters">
      <label>Sort <select value=${order} onChange=${(e: { currentTarget: HTMLSelectElement }) => setOrder(e.currentTarget.value as NodeOrder)}>
        ${Object.entries(NODE_ORDERS).map(([k, label]) => html`<option value=${k}>${label}</option>`)}
      </select></label>
      <label>Filter <input type="search" value=${text} onInput=${(e: { currentTarget: HTMLInputElement }) => setText(e.currentTarget.value)} placeholder="name, state, address" /></label>
      <span class="muted" role="status">${rows.length === sorted.length ? `${sorted.length} nodes` : `${rows.length} of ${sorted.length} nodes`}</span>
    </div>
    <${VirtualList}
      head=${html`<${NodeHead} actions=${actions} />`}
      rows=${rows}
      rowKey=${rowKey}
      row=${(r: NodeRow, p: RowProps) => NodeLine(r, p, actions ? store : undefined)}
      label="Nodes"
      class="nlist"
      empty=${store.synced ? 'No nodes have registered.' : 'Loading…'}
      estimate=${actions ? 44 : 34}
      maxHeight=${maxHeight}
    />`;
}

export function NodesView({ store }: { store: Store }) {
  const sum = nodeSummary(store);
  return html`<h1>Nodes <span class="count">${sum.rows.length}</span></h1>
    <${NodeList} store=${store} actions=${true} maxHeight="calc(100vh - 200px)" initial="name" />`;
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

const evictable = (tasks: readonly Task[], node: string) =>
  tasks.filter((t) => t.status?.nodeName === node && !TERMINAL.has(t.status?.state ?? 'Pending') && (t.spec.owner || t.metadata.labels?.['stowage/owner'] || '').startsWith('service/'));

function NodeActions({ node, store }: { node: Node; store: Store }) {
  const name = node.metadata.name;
  const n = evictable(tasksOnNode(store, name), name).length;
  return html`<${Actions}>
    ${node.spec.unschedulable
      ? html`<${Action} id=${`uncordon-${name}`} label="Uncordon" title=${`Uncordon node ${name}?`} run=${() => setCordon(name, false)}><p>New tasks may be placed on it again.</p></${Action}>`
      : html`<${Action} id=${`cordon-${name}`} label="Cordon" title=${`Cordon node ${name}?`} run=${() => setCordon(name, true)}><p>No new tasks are placed on it; its tasks go on.</p></${Action}>`}
    <${Action} id=${`drain-${name}`} label="Drain" danger title=${`Drain node ${name}?`} run=${() => drain(name)}>
      <p>Cordons it, then deletes its ${n} live service task${n === 1 ? '' : 's'} so their services replace them elsewhere; job and bare tasks are left to finish (<code>stowctl drain</code>).</p>
    </${Action}>
  </${Actions}>`;
}
