/** Nodes: state, cordon, and cpu / mem / disk / ports allocated against capacity. */
import type { Node } from '../../../pkg/api/types.js';
import { Badge, Bar, Empty } from '../components.js';
import { html } from '../html.js';
import { nodes } from '../selectors.js';
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

export function NodeCard({ node }: { node: Node }) {
  const tasks = Object.keys(node.status?.tasks ?? {}).length;
  return html`<article class="node" data-node=${node.metadata.name}>
    <header><strong>${node.metadata.name}</strong> <${NodeState} node=${node} /></header>
    <div class="muted small">${node.spec.driver ?? 'docker'} · ${node.spec.address ?? 'no address'} · ${tasks} tasks</div>
    <${NodeBars} node=${node} />
  </article>`;
}

export function NodesView({ store }: { store: Store }) {
  const list = nodes(store);
  return html`<h1>Nodes <span class="count">${list.length}</span></h1>
    <div class="nodes">${list.length ? list.map((n) => html`<${NodeCard} key=${n.metadata.name} node=${n} />`) : html`<table><tbody><${Empty} cols=${1} text="No nodes have registered." /></tbody></table>`}</div>`;
}
