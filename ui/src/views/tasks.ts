/** Tasks: state, health, node and ports, one row each; only the rows in view are drawn. */
import type { Task } from '../../../pkg/api/types.js';
import { Badge } from '../components.js';
import { ago } from '../format.js';
import { html } from '../html.js';
import { href } from '../router.js';
import { VirtualTable, type RowProps } from '../virtual.js';

const why = (t: Task) => t.status?.pendingReason ?? [t.status?.reason, t.status?.message].filter(Boolean).join(': ');

function TaskRow(t: Task, props: RowProps) {
  const st = t.status;
  const ports = Object.entries(st?.ports ?? {});
  const reason = why(t);
  return html`<tr ...${props} data-task=${t.metadata.name}>
    <td class="mono clip" title=${t.metadata.name}><a href=${href('tasks', t.metadata.namespace ?? 'default', t.metadata.name, 'log')} title="the task, its log followed">${t.metadata.name}</a></td>
    <td data-col="state"><${Badge} value=${st?.state ?? 'Pending'} /></td>
    <td data-col="health"><${Badge} value=${st?.health} /></td>
    <td class="clip" title=${st?.nodeName}>${st?.nodeName ?? '—'}</td>
    <td class="clip">${ports.length ? ports.map(([n, p]) => html`<a href=${`http://127.0.0.1:${p}/`} target="_blank" rel="noopener">${n}:${p}</a> `) : '—'}</td>
    <td class="nowrap">${ago(st?.startedAt)}</td>
    <td class="small clip" data-col="why" title=${reason}>${reason}</td>
  </tr>`;
}

const taskKey = (t: Task) => `${t.metadata.namespace ?? ''}/${t.metadata.name}`;

export function TasksTable({ tasks, maxHeight = 'min(70vh, 640px)' }: { tasks: Task[]; maxHeight?: string }) {
  return html`<${VirtualTable}
    rows=${tasks}
    rowKey=${taskKey}
    row=${TaskRow}
    label="Tasks"
    class="tasks"
    empty="No tasks."
    maxHeight=${maxHeight}
    cols=${[html`<col class="w-name" />`, html`<col class="w-badge" />`, html`<col class="w-badge" />`, html`<col class="w-node" />`, html`<col class="w-ports" />`, html`<col class="w-when" />`, html`<col />`]}
    head=${html`<tr><th>task</th><th>state</th><th>health</th><th>node</th><th>ports</th><th>started</th><th>why</th></tr>`}
  />`;
}
