/** Tasks: state, health, node and ports, one row each. */
import type { Task } from '../../../pkg/api/types.js';
import { Badge, Empty } from '../components.js';
import { ago } from '../format.js';
import { html } from '../html.js';
import { href } from '../router.js';

export function TasksTable({ tasks }: { tasks: Task[] }) {
  return html`<div class="scroll"><table>
    <thead><tr><th>task</th><th>state</th><th>health</th><th>node</th><th>ports</th><th>started</th><th>why</th></tr></thead>
    <tbody>${tasks.length ? tasks.map((t) => {
      const st = t.status;
      const ports = Object.entries(st?.ports ?? {});
      return html`<tr key=${t.metadata.name} data-task=${t.metadata.name}>
        <td class="mono"><a href=${href('tasks', t.metadata.namespace ?? 'default', t.metadata.name, 'log')} title="the task, its log followed">${t.metadata.name}</a></td>
        <td data-col="state"><${Badge} value=${st?.state ?? 'Pending'} /></td>
        <td data-col="health"><${Badge} value=${st?.health} /></td>
        <td>${st?.nodeName ?? '—'}</td>
        <td>${ports.length ? ports.map(([n, p]) => html`<a href=${`http://127.0.0.1:${p}/`} target="_blank" rel="noopener">${n}:${p}</a> `) : '—'}</td>
        <td class="nowrap">${ago(st?.startedAt)}</td>
        <td class="small">${st?.pendingReason ?? [st?.reason, st?.message].filter(Boolean).join(': ')}</td>
      </tr>`;
    }) : html`<${Empty} cols=${7} text="No tasks." />`}</tbody>
  </table></div>`;
}
